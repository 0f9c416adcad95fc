import { expect, test } from "bun:test";
import { compile, fnv1a32, TransformError, validateMapping } from "../../../src/subject/mod.ts";

// [source, destination, subject, what it maps to (null: it does not match)]
const CASES: [string, string, string, string | null][] = [
  ["a.*.*", "b.$2.{{wildcard(1)}}", "a.x.y", "b.y.x"],
  ["a.*", "b.{{ Wildcard( 1 ) }}.$1", "a.x", "b.x.x"],
  ["a.*.>", "b.$1.>", "a.x.y.z", "b.x.y.z"],
  [">", "all.>", "p.q", "all.p.q"],
  ["", "all.>", "p.q", "all.p.q"],
  ["a.b", "c.d", "a.b", "c.d"],
  ["a.b", "c.$x", "a.b", "c.$x"],
  ["a.*", "b.$1", "c.x", null],
  [">", ">", "any.thing", "any.thing"],
  // The mapping functions cut tokens as nats-server's subject_transform.go does.
  ["*", "{{split(1,-)}}", "-abc-def--ghi-", "abc.def.ghi"],
  ["*", "{{splitFromLeft(1,3)}}", "12345", "123.45"],
  ["*", "{{SplitFromRight(1,3)}}", "12345", "12.345"],
  ["*", "{{splitFromLeft(1,9)}}", "12345", "12345"],
  ["*", "{{sliceFromLeft(1,2)}}", "1234567", "12.34.56.7"],
  ["*", "{{sliceFromRight(1,2)}}", "1234567", "1.23.45.67"],
  ["*", "{{sliceFromLeft(1,2)}}", "123456", "12.34.56"],
  ["*", "{{sliceFromRight(1,9)}}", "123", "123"],
  ["a.*.*", "p.{{partition(10,1,2)}}", "a.x.y", `p.${fnv1a32("xy") % 10}`],
];

test("compile() maps wildcards by number, carries > over and applies the mapping functions", () => {
  for (const [src, dest, subject, want] of CASES) expect(compile(src, dest).apply(subject), `${src} -> ${dest}: ${subject}`).toBe(want);
});

test("fnv1a32() is FNV-1a 32-bit (Go's hash/fnv New32a)", () => {
  expect(fnv1a32("")).toBe(0x811c9dc5);
  expect(fnv1a32("a")).toBe(0xe40c292c);
  expect(fnv1a32("foobar")).toBe(0xbf9cf968);
});

test("compile() refuses what nats-server's NewSubjectTransform refuses, with its words", () => {
  for (const [src, dest] of [
    ["a.*", "b.*"],
    ["a.*", "b.>"],
    ["a.>", "b.$1.>"],
    ["a.*", "b.$2"],
    ["a.*", "b.{{foo(1)}}"],
    ["a.*", "b.{{wildcard(x)}}"],
    ["a.*", "b.{{wildcard()}}"],
    ["a.*", "b.{{wildcard(1,2)}}"],
    ["a.*", "b.{{partition(3)}}"],
    ["a.*", "b.{{split(1)}}"],
    ["a.*", "b.{{split(1,a b)}}"],
    ["a.b", "c.$1"],
    ["a..b", "c"],
    ["a.*", ""],
  ] as const) {
    expect(() => compile(src, dest), `${src} -> ${dest}`).toThrow(TransformError);
  }
  expect(() => compile("a.*", "b.{{foo(1)}}")).toThrow("invalid mapping destination: unknown function in {{foo(1)}}");
  expect(() => compile("a.*", "b.$2")).toThrow("invalid mapping destination: wildcard index out of range in $2: [2]");
  expect(() => compile("a.*", "b")).not.toThrow();
  expect(() => compile("a.*", "b", { useAllWildcards: true })).toThrow(TransformError);
  expect(() => compile("a.*", "b.{{partition(3,1)}}", { strict: true })).toThrow(/only mapping function allowed for import/);
  expect(() => validateMapping("a.*", "")).not.toThrow();
});
