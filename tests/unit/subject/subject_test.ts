// Tables ported from nats-server's server/sublist_test.go (TestSublistValidSubjects,
// TestSublistValidLiteralSubjects, TestSubjectIsLiteral, TestSublistMatchLiterals, TestIsSubsetMatch)
// and server/subject/subject_test.go (TestSubjectIsSubsetMatch), plus whitespace and queue-name cases.
import { describe, expect, test } from "bun:test";
import {
  isValidLiteralSubject,
  isValidQueueName,
  isValidSubject,
  matchLiteral,
  numTokens,
  subjectHasWildcard,
  subjectIsSubsetMatch,
  subjectsCollide,
} from "../../../src/subject/mod.ts";

const show = (s: string): string => JSON.stringify(s);

describe("isValidSubject", () => {
  const cases: [string, boolean][] = [
    [".", false],
    [".foo", false],
    ["foo.", false],
    ["foo..bar", false],
    [">.bar", false],
    ["foo.>.bar", false],
    ["foo", true],
    ["foo.bar.*", true],
    ["foo.bar.>", true],
    ["*", true],
    [">", true],
    ["foo*", true],
    ["foo**", true],
    ["foo.**", true],
    ["foo*bar", true],
    ["foo.*bar", true],
    ["foo*.bar", true],
    ["*bar", true],
    ["foo>", true],
    ["foo.>>", true],
    ["foo>bar", true],
    ["foo.>bar", true],
    ["foo>.bar", true],
    [">bar", true],
    // Beyond the Go table: empty subject, wildcards in the middle, whitespace anywhere.
    ["", false],
    ["*.*.>", true],
    ["a.*.c", true],
    [">.>", false],
    ["foo bar", false],
    ["foo.\tbar", false],
    ["foo.bar\n", false],
    ["\rfoo", false],
    ["foo.\f", false],
    [" ", false],
  ];
  for (const [subject, want] of cases) {
    test(`returns ${want} for ${show(subject)}`, () => {
      expect(isValidSubject(subject)).toBe(want);
    });
  }
});

describe("isValidLiteralSubject", () => {
  const cases: [string, boolean][] = [
    ["foo", true],
    [".foo", false],
    ["foo.", false],
    ["foo..bar", false],
    ["foo.bar.*", false],
    ["foo.bar.>", false],
    ["*", false],
    [">", false],
    // Wildcard characters that are not a whole token are literal.
    ["foo*", true],
    ["foo**", true],
    ["foo.**", true],
    ["foo*bar", true],
    ["foo.*bar", true],
    ["foo*.bar", true],
    ["*bar", true],
    ["foo>", true],
    ["foo>>", true],
    ["foo.>>", true],
    ["foo>bar", true],
    ["foo.>bar", true],
    ["foo>.bar", true],
    [">bar", true],
    ["", false],
    ["foo.*.bar", false],
    ["foo bar", false],
    ["foo\t", false],
    ["foo.\fbar", false],
  ];
  for (const [subject, want] of cases) {
    test(`returns ${want} for ${show(subject)}`, () => {
      expect(isValidLiteralSubject(subject)).toBe(want);
    });
  }
});

describe("isValidQueueName", () => {
  const cases: [string, boolean][] = [
    ["bar", true],
    ["workers-1", true],
    // nats-server only splits SUB arguments on whitespace, so dots and wildcards are legal in a queue name.
    ["v1.*", true],
    [">", true],
    ["a..b", true],
    // Reserved, but rejected as a permission violation, not as a malformed name.
    ["_sys_", true],
    ["", false],
    ["a b", false],
    ["a\tb", false],
    ["a\r", false],
    ["\nb", false],
  ];
  for (const [queue, want] of cases) {
    test(`returns ${want} for ${show(queue)}`, () => {
      expect(isValidQueueName(queue)).toBe(want);
    });
  }
});

describe("subjectHasWildcard", () => {
  const cases: [string, boolean][] = [
    ["foo", false],
    ["foo.bar", false],
    ["foo*.bar", false],
    ["*", true],
    [">", true],
    ["foo.*", true],
    ["foo.>", true],
    ["foo.*.>", true],
    ["foo.*.bar", true],
    ["foo.bar.>", true],
    ["foo*", false],
    ["foo**", false],
    ["foo.**", false],
    ["foo*bar", false],
    ["foo.*bar", false],
    ["*bar", false],
    ["foo>", false],
    ["foo>>", false],
    ["foo.>>", false],
    ["foo>bar", false],
    ["foo.>bar", false],
    ["foo>.bar", false],
    [">bar", false],
    ["", false],
  ];
  for (const [subject, want] of cases) {
    test(`returns ${want} for ${show(subject)}`, () => {
      expect(subjectHasWildcard(subject)).toBe(want);
    });
  }
});

describe("matchLiteral", () => {
  const cases: [string, string, boolean][] = [
    ["foo", "foo", true],
    ["foo", "bar", false],
    ["foo", "*", true],
    ["foo", ">", true],
    ["foo.bar", ">", true],
    ["foo.bar", "foo.>", true],
    ["foo.bar", "bar.>", false],
    ["stats.test.22", "stats.>", true],
    ["stats.test.22", "stats.*.*", true],
    ["foo.bar", "foo", false],
    ["stats.test.foos", "stats.test.foos", true],
    ["stats.test.foos", "stats.test.foo", false],
    ["stats.test", "stats.test.*", false],
    ["stats.test.foos", "stats.*", false],
    ["stats.test.foos", "stats.*.*.foos", false],
    // Wildcard characters that do not form a whole token are compared literally.
    ["*bar", "*bar", true],
    ["foo*", "foo*", true],
    ["foo*bar", "foo*bar", true],
    ["foo.***.bar", "foo.***.bar", true],
    [">bar", ">bar", true],
    ["foo>", "foo>", true],
    ["foo>bar", "foo>bar", true],
    ["foo.>>>.bar", "foo.>>>.bar", true],
    // Beyond the Go table.
    ["foo", "foo.>", false],
    ["foo.bar", "*.bar", true],
    ["foo.bar", "*.*.*", false],
    ["foobar", "foo*", false],
    ["foo.bar.baz", "*.bar.>", true],
  ];
  for (const [literal, pattern, want] of cases) {
    test(`returns ${want} for ${show(literal)} against ${show(pattern)}`, () => {
      expect(matchLiteral(literal, pattern)).toBe(want);
    });
  }
});

describe("subjectIsSubsetMatch", () => {
  const cases: [string, string, boolean][] = [
    ["foo.bar", "foo.bar", true],
    ["foo.*", ">", true],
    ["foo.*", "*.*", true],
    ["foo.*", "foo.*", true],
    ["foo.*", "foo.>", true],
    ["foo.*", "foo.bar", false],
    ["foo.>", ">", true],
    ["foo.>", "*.>", true],
    ["foo.>", "foo.>", true],
    ["foo.>", "foo.bar", false],
    ["foo.*.bar", "foo.>", true],
    ["foo.*.bar", "foo.bar.>", false],
    ["foo.bar.>", "foo.*.bar", false],
    // Bad subjects are never a subset match.
    ["foo..bar", "foo.*", false],
    ["foo.*", "foo..bar", false],
    // Length must agree unless `test` ends in `>`.
    ["foo", "foo.bar", false],
    ["foo.bar", "foo", false],
    ["foo.bar", "foo.>", true],
    // nats-server treats a test token that merely starts with `*` as matching any literal token.
    ["foo.bar", "foo.*x", true],
  ];
  for (const [subject, other, want] of cases) {
    test(`returns ${want} for ${show(subject)} within ${show(other)}`, () => {
      expect(subjectIsSubsetMatch(subject, other)).toBe(want);
    });
  }
});

describe("subjectsCollide", () => {
  const cases: [string, string, boolean][] = [
    ["foo.*", "*.bar", true],
    ["foo.>", "bar.*", false],
    ["foo.>", "*.bar.baz", true],
    ["t.1.*", "t.*.x", true],
    ["t.1.*", "t.2.x", false],
    ["a.b", "a.b.c", false],
    ["a.*", "a.b.c", false],
    [">", "anything.at.all", true],
  ];
  for (const [a, b, want] of cases) {
    test(`returns ${want} for ${show(a)} and ${show(b)}, either way round`, () => {
      expect(subjectsCollide(a, b)).toBe(want);
      expect(subjectsCollide(b, a)).toBe(want);
    });
  }
});

describe("numTokens", () => {
  const cases: [string, number][] = [
    ["", 0],
    ["foo", 1],
    ["foo.bar", 2],
    ["foo.bar.baz.*", 4],
    ["a.>", 2],
    [".", 2],
  ];
  for (const [subject, want] of cases) {
    test(`counts ${want} tokens in ${show(subject)}`, () => {
      expect(numTokens(subject)).toBe(want);
    });
  }
});
