/**
 * Pure functions on NATS subjects, ported from nats-server's server/sublist.go so that edge cases
 * (wildcard characters inside a token, empty tokens, `>` not last) behave exactly as the Go server's.
 *
 * A subject is a string of tokens separated by `.`. `*` (one token) and `>` (one or more trailing
 * tokens) are wildcards only when they are a whole token: `a*` and `*b` are plain literal tokens.
 */

const DOT = 0x2e;
const PWC = 0x2a; // '*'
const FWC = 0x3e; // '>'

/** The characters nats-server rejects inside a subject token (`strings.ContainsAny(t, "\t\n\f\r ")`). */
function isSubjectWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;
}

/**
 * One scan shared by both validators: no empty tokens, no whitespace, nothing after a `>` token and,
 * when `allowWildcards` is false, no `*` or `>` token at all.
 */
function scanSubject(subject: string, allowWildcards: boolean): boolean {
  const len = subject.length;
  if (len === 0) return false;
  let tokenStart = 0;
  let sawFwc = false;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? subject.charCodeAt(i) : DOT;
    if (c === DOT) {
      const tokenLen = i - tokenStart;
      if (tokenLen === 0 || sawFwc) return false;
      if (tokenLen === 1) {
        const t = subject.charCodeAt(tokenStart);
        if (t === PWC || t === FWC) {
          if (!allowWildcards) return false;
          sawFwc = t === FWC;
        }
      }
      tokenStart = i + 1;
    } else if (isSubjectWhitespace(c)) {
      return false;
    }
  }
  return true;
}

/** A subject a client may SUBscribe to: wildcards allowed as whole tokens, `>` only as the last token. */
export function isValidSubject(subject: string): boolean {
  return scanSubject(subject, true);
}

/**
 * A subject a client may PUBlish to (checked in pedantic mode): valid and without wildcard tokens.
 * nats-server's own IsValidLiteralSubject skips the whitespace check; on the wire that only differs for a
 * form feed, because spaces and tabs split the PUB arguments before a subject reaches this check.
 */
export function isValidLiteralSubject(subject: string): boolean {
  return scanSubject(subject, false);
}

/**
 * nats-server does not validate queue names beyond what the SUB line parser gives it: a non-empty
 * argument, split on space, tab, CR and LF. Dots and wildcard characters are allowed (`v1.*` is a
 * valid queue name). The reserved `_sys_` group is a permission violation, not an invalid name, so it
 * is left to the permission layer.
 */
export function isValidQueueName(queue: string): boolean {
  const len = queue.length;
  if (len === 0) return false;
  for (let i = 0; i < len; i++) {
    const c = queue.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) return false;
  }
  return true;
}

/** True if some token is exactly `*` or `>`. Does not validate (nats-server's subjectHasWildcard). */
export function subjectHasWildcard(subject: string): boolean {
  const len = subject.length;
  for (let i = 0; i < len; i++) {
    const c = subject.charCodeAt(i);
    if (
      (c === PWC || c === FWC) &&
      (i === 0 || subject.charCodeAt(i - 1) === DOT) &&
      (i + 1 === len || subject.charCodeAt(i + 1) === DOT)
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Does the literal subject match the (possibly wildcard) pattern? A port of nats-server's matchLiteral,
 * which the sublist cache uses to find the cached publish subjects a new wildcard subscription affects.
 * Characters of `literal` are compared as-is, so a literal containing `*` only matches a `*` in the
 * pattern or a wildcard token.
 */
export function matchLiteral(literal: string, pattern: string): boolean {
  let li = 0;
  const ll = literal.length;
  const ls = pattern.length;
  for (let i = 0; i < ls; i++) {
    if (li >= ll) return false;
    const c = pattern.charCodeAt(i);
    if (c === PWC) {
      if (i === 0 || pattern.charCodeAt(i - 1) === DOT) {
        if (i === ls - 1) {
          // Trailing `*`: the rest of the literal must be exactly one token.
          for (;;) {
            if (li >= ll) return true;
            if (literal.charCodeAt(li) === DOT) return false;
            li++;
          }
        } else if (pattern.charCodeAt(i + 1) === DOT) {
          // `*` followed by more tokens: skip one literal token, landing on its separator.
          for (;;) {
            if (li >= ll) return false;
            if (literal.charCodeAt(li) === DOT) break;
            li++;
          }
          i++;
        }
      }
    } else if (c === FWC) {
      if ((i === 0 || pattern.charCodeAt(i - 1) === DOT) && i === ls - 1) return true;
    }
    if (pattern.charCodeAt(i) !== literal.charCodeAt(li)) return false;
    li++;
  }
  return li >= ll;
}

/** Number of tokens; 0 for the empty string (nats-server's numTokens). */
export function numTokens(subject: string): number {
  const len = subject.length;
  if (len === 0) return 0;
  let n = 1;
  for (let i = 0; i < len; i++) {
    if (subject.charCodeAt(i) === DOT) n++;
  }
  return n;
}

/**
 * Is every subject matched by `subject` also matched by `test`? Both may contain wildcards, so `foo.*`
 * is a subset match of `>`, `*.*` and `foo.*` but not of `foo.bar`. A faithful port of nats-server's
 * subjectIsSubsetMatch, including its quirk that a `test` token merely starting with `*` (e.g. `*x`)
 * matches any literal token, so that permission checks agree with the Go server.
 */
export function subjectIsSubsetMatch(subject: string, test: string): boolean {
  const tokens = subject.split(".");
  const testTokens = test.split(".");
  for (let i = 0; i < testTokens.length; i++) {
    if (i >= tokens.length) return false;
    const t2 = testTokens[i];
    if (t2.length === 0) return false;
    if (t2 === ">") return true;
    const t1 = tokens[i];
    if (t1.length === 0 || t1 === ">") return false;
    if (t1 === "*") {
      if (t2 !== "*") return false;
      continue;
    }
    if (t2.charCodeAt(0) !== PWC && t1 !== t2) return false;
  }
  return tokens.length === testTokens.length;
}

/**
 * nats-server's SubjectsCollide: could one literal subject match both `a` and `b` (either may hold
 * wildcards)? `foo.*` and `*.bar` collide on `foo.bar`; `foo.>` and `bar.*` never do.
 */
export function subjectsCollide(a: string, b: string): boolean {
  const ta = a.split(".");
  const tb = b.split(".");
  for (let i = 0; i < ta.length && i < tb.length; i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    if (x === ">" || y === ">") return true;
    if (x !== "*" && y !== "*" && x !== y) return false;
  }
  return ta.length === tb.length;
}
