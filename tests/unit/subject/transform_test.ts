import { expect, test } from "bun:test";
import { compile, fnv1a32, TransformError, validateMapping } from "../../../src/subject/mod.ts";

test("compile() maps wildcards by number and carries > over", () => {
  expect(compile("a.*.*", "b.$2.{{wildcard(1)}}").apply("a.x.y")).toBe("b.y.x");
  expect(compile("a.*", "b.{{ Wildcard( 1 ) }}.$1").apply("a.x")).toBe("b.x.x");
  expect(compile("a.*.>", "b.$1.>").apply("a.x.y.z")).toBe("b.x.y.z");
  expect(compile(">", "all.>").apply("p.q")).toBe("all.p.q");
  expect(compile("", "all.>").apply("p.q")).toBe("all.p.q");
  expect(compile("a.b", "c.d").apply("a.b")).toBe("c.d");
  expect(compile("a.b", "c.$x").apply("a.b")).toBe("c.$x");
  expect(compile("a.*", "b.$1").apply("c.x")).toBeNull();
  expect(compile(">", ">").apply("any.thing")).toBe("any.thing");
});

test("the mapping functions cut tokens as nats-server's subject_transform.go does", () => {
  expect(compile("*", "{{split(1,-)}}").apply("-abc-def--ghi-")).toBe("abc.def.ghi");
  expect(compile("*", "{{splitFromLeft(1,3)}}").apply("12345")).toBe("123.45");
  expect(compile("*", "{{SplitFromRight(1,3)}}").apply("12345")).toBe("12.345");
  expect(compile("*", "{{splitFromLeft(1,9)}}").apply("12345")).toBe("12345");
  expect(compile("*", "{{sliceFromLeft(1,2)}}").apply("1234567")).toBe("12.34.56.7");
  expect(compile("*", "{{sliceFromRight(1,2)}}").apply("1234567")).toBe("1.23.45.67");
  expect(compile("*", "{{sliceFromLeft(1,2)}}").apply("123456")).toBe("12.34.56");
  expect(compile("*", "{{sliceFromRight(1,9)}}").apply("123")).toBe("123");
  expect(compile("a.*.*", "p.{{partition(10,1,2)}}").apply("a.x.y")).toBe(`p.${fnv1a32("xy") % 10}`);
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
