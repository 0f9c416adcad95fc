import { expect, test } from "bun:test";
import { subjectTransform, TransformError } from "../../../src/subject/mod.ts";

test("subjectTransform() maps wildcards by number and carries > over", () => {
  expect(subjectTransform("a.*.*", "b.$2.{{wildcard(1)}}").transform("a.x.y")).toBe("b.y.x");
  expect(subjectTransform("a.*", "b.{{ Wildcard( 1 ) }}.$1").transform("a.x")).toBe("b.x.x");
  expect(subjectTransform("a.*.>", "b.$1.>").transform("a.x.y.z")).toBe("b.x.y.z");
  expect(subjectTransform(">", "all.>").transform("p.q")).toBe("all.p.q");
  expect(subjectTransform("a.b", "c.$1").transform("a.b")).toBe("c.$1");
  expect(subjectTransform("a.*", "b.$1").transform("c.x")).toBeNull();
});

test("subjectTransform() refuses what nats-server 2.9's newTransform refuses", () => {
  for (const [src, dest] of [
    ["a.*", "b"],
    ["a.*", "b.*"],
    ["a.*", "b.>"],
    ["a.>", "b.$1.>"],
    ["a.*", "b.$2"],
    ["a.*", "b.$1x"],
    ["a.*", "b.{{foo(1)}}"],
    ["a.*", "b.{{wildcard(x)}}"],
    ["a..b", "c"],
    ["a.*", ""],
  ] as const) {
    expect(() => subjectTransform(src, dest), `${src} -> ${dest}`).toThrow(TransformError);
  }
  expect(() => subjectTransform("a.*", "b.{{partition(3,1)}}")).toThrow(/partition is not supported by natsedge/);
});
