/**
 * Scoped signing keys (jwt's UserScope and nats-server's processUserPermissionsTemplate): a user signed by an
 * account's `user_scope` key carries no permissions or limits of its own; the scope's template is its
 * permissions and limits, with `{{name()}}`, `{{subject()}}`, `{{account-name()}}`, `{{account-subject()}}`,
 * `{{tag(k)}}` and `{{account-tag(k)}}` tokens filled in from the user's and the account's claims.
 */
import type { UserPermissionsLimits } from "@nats-io/jwt";
import { isValidSubject } from "../subject/subject.ts";
import type { AccountClaims, UserClaims } from "./jwt_verify.ts";

export type UserLimits = Partial<UserPermissionsLimits>;

type Scope = { kind?: string; key: string; template?: UserLimits };

/**
 * The user's permissions and limits: its own when the account or a plain signing key signed it, the
 * template's when a scoped key did; null when the issuer is not the account's; a string when it is refused.
 */
export function userLimits(u: UserClaims, acc: AccountClaims): UserLimits | string | null {
  if (u.iss === acc.sub) return u.nats;
  const key = (acc.nats.signing_keys ?? []).find((k) => (typeof k === "string" ? k : k.key) === u.iss);
  if (key === undefined) return null;
  if (typeof key === "string") return u.nats;
  const scope = key as Scope;
  if (scope.kind !== "user_scope") return "scoped signing key of an unknown kind";
  if (!hasEmptyPermissions(u.nats)) return "scoped users require no permissions or limits set";
  return fillTemplate(structuredClone(scope.template ?? {}), u, acc);
}

/** jwt's HasEmptyPermissions: the permission and limit fields are all at their zero values. */
function hasEmptyPermissions(n: UserLimits): boolean {
  const empty = (l: unknown[] | undefined) => l === undefined || l.length === 0;
  return empty(n.pub?.allow) && empty(n.pub?.deny) && empty(n.sub?.allow) && empty(n.sub?.deny) && n.resp === undefined &&
    empty(n.src) && empty(n.times) && !(n as { times_location?: string }).times_location && !n.subs && !n.data && !n.payload && !n.bearer_token && empty(n.allowed_connection_types);
}

function fillTemplate(lim: UserLimits, u: UserClaims, acc: AccountClaims): UserLimits | string {
  const subAllowed = (lim.sub?.allow ?? []).length > 0;
  const pubAllowed = (lim.pub?.allow ?? []).length > 0;
  try {
    for (const side of [lim.sub, lim.pub]) {
      if (side === undefined) continue;
      if (side.allow !== undefined) side.allow = applyTemplate(side.allow, u, acc, false);
      if (side.deny !== undefined) side.deny = applyTemplate(side.deny, u, acc, true);
    }
  } catch {
    return "generated invalid permissions";
  }
  // An allow list that templates emptied denies everything rather than allowing everything.
  if (subAllowed && lim.sub!.allow!.length === 0) (lim.sub!.deny ??= []).push(">");
  if (pubAllowed && lim.pub!.allow!.length === 0) (lim.pub!.deny ??= []).push(">");
  return lim;
}

const isTemplate = (tk: string) => tk.startsWith("{{") && tk.endsWith("}}");

/**
 * Each subject with its template tokens replaced; a tag token yields one subject per matching tag value (the
 * cartesian product over several). A subject that comes out invalid is dropped from an allow list and refuses
 * the user in a deny list.
 */
function applyTemplate(list: string[], u: UserClaims, acc: AccountClaims, failOnBad: boolean): string[] {
  if (!list.some((s) => s.split(".").some(isTemplate))) return list;
  const out: string[] = [];
  for (const subject of list) {
    const choices = subject.split(".").map((tk) => (isTemplate(tk) ? tokenValues(tk.slice(2, -2).toLowerCase(), u, acc) : [tk]));
    for (const tokens of product(choices)) {
      const s = tokens.join(".");
      if (isValidSubject(s)) out.push(s);
      else if (failOnBad) throw new Error("generated invalid subject");
    }
  }
  return out;
}

/** The values a template token stands for; an unknown function or a tag without values gives an invalid token. */
function tokenValues(op: string, u: UserClaims, acc: AccountClaims): string[] {
  switch (op) {
    case "name()": return [u.name ?? ""];
    case "subject()": return [u.sub];
    case "account-name()": return [acc.name ?? ""];
    case "account-subject()": return [u.nats.issuer_account ?? ""];
  }
  const tag = /^(account-)?tag\((.*)\)$/.exec(op);
  if (tag === null) return [" "];
  const prefix = `${tag[2]}:`;
  const tags = (tag[1] ? acc.nats.tags : u.nats.tags) ?? [];
  const values = tags.filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length));
  return values.length > 0 ? values : [""];
}

function product(choices: string[][]): string[][] {
  return choices.reduce<string[][]>((acc, opts) => acc.flatMap((prefix) => opts.map((o) => [...prefix, o])), [[]]);
}
