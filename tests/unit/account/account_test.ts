// The account pieces on their own: import cycles (nats-server's SubjectsCollide and cycle search), export
// authorization, and weighted subject mappings.
import { expect, test } from "bun:test";
import { formsCycle } from "../../../src/account/cycles.ts";
import { subjectsCollide } from "../../../src/subject/mod.ts";
import { ExportTable } from "../../../src/account/exports.ts";
import { SubjectMappings } from "../../../src/account/mapping.ts";
import { Renaming } from "../../../src/account/renaming.ts";

test("subjectsCollide is true when one literal subject could match both", () => {
  expect(subjectsCollide("a.b", "a.b")).toBe(true);
  expect(subjectsCollide("a.*", "a.b")).toBe(true);
  expect(subjectsCollide("a.>", "a.b.c")).toBe(true);
  expect(subjectsCollide("a.*", "a.b.c")).toBe(false);
  expect(subjectsCollide("a.b", "a.c")).toBe(false);
  expect(subjectsCollide("p.x.>", "y.>")).toBe(false);
});

test("formsCycle follows imports through accounts on colliding subjects only", () => {
  const ab = { from: "A", subject: "x.>", to: "B", as: "q.x.>" };
  expect(formsCycle([ab], { from: "B", subject: "y.>", to: "A", as: "p.y.>" })).toBe(false);
  expect(formsCycle([ab], { from: "B", subject: "q.>", to: "A", as: "x.1" })).toBe(true);
  const chain = [ab, { from: "B", subject: "q.x.>", to: "C", as: "c.>" }];
  expect(formsCycle(chain, { from: "C", subject: "c.>", to: "A", as: "x.y" })).toBe(true);
  expect(formsCycle(chain, { from: "C", subject: "c.>", to: "A", as: "z.y" })).toBe(false);
});

test("an export allows importers of a subset of its subject, restricted ones only when named", () => {
  const t = new ExportTable();
  t.streams.push({ subject: "pub.>", accounts: null }, { subject: "priv.*", accounts: new Set(["B"]) });
  expect(t.stream("C", "pub.a.b")).not.toBeNull();
  expect(t.stream("C", "pub.>")).not.toBeNull();
  expect(t.stream("C", "priv.x")).toBeNull();
  expect(t.stream("B", "priv.x")).not.toBeNull();
  expect(t.stream("B", "priv.>")).toBeNull();
});

test("Renaming keeps, replaces or transforms a subject as 2.9's transformTokenize does", () => {
  expect(new Renaming("a.>", "a.>").apply("a.b")).toBe("a.b");
  expect(new Renaming("a", "b").apply("a")).toBe("b");
  expect(new Renaming("a.*.>", "b.*.>").apply("a.1.2.3")).toBe("b.1.2.3");
  expect(new Renaming("x.>", "p.x.>").apply("x.y")).toBe("p.x.y");
  expect(new Renaming("e.*.x", "a.b.e.*.x").apply("e.1.x")).toBe("a.b.e.1.x");
  expect(new Renaming("e.*.x", "f.*.x").apply("e.1.x")).toBe("f.1.x");
});

test("a mapping applies to the subjects its source matches, of any length, literal or wildcard", () => {
  const m = new SubjectMappings();
  m.add("a.b", [{ destination: "lit", weight: 100 }], undefined);
  m.add(`${"l".repeat(300)}`, [{ destination: "long", weight: 100 }], undefined);
  m.add("w.*.x", [{ destination: "wild.$1", weight: 100 }], undefined);
  m.add("*.y", [{ destination: "any.$1", weight: 100 }], undefined);
  m.add("g.>", [{ destination: "gt.>", weight: 100 }], undefined);
  expect(m.map("a.b")).toBe("lit");
  expect(m.map("a.c")).toBeNull();
  expect(m.map("a.bb")).toBeNull();
  expect(m.map("l".repeat(300))).toBe("long");
  expect(m.map("l".repeat(301))).toBeNull();
  expect(m.map("w.1.x")).toBe("wild.1");
  expect(m.map("w.1.z")).toBeNull();
  expect(m.map("q.y")).toBe("any.q");
  expect(m.map("g.h.i")).toBe("gt.h.i");
  expect(m.map("g")).toBeNull();
  expect(m.map("gg.h")).toBeNull();
});

test("weighted mappings pick by weight; the rest of 100 keeps the subject", () => {
  const m = new SubjectMappings();
  m.add("w", [{ destination: "w1", weight: 25 }], undefined);
  const counts = new Map<string | null, number>();
  for (let i = 0; i < 4000; i++) {
    const to = m.map("w");
    counts.set(to, (counts.get(to) ?? 0) + 1);
  }
  // 25% of 4000 = 1000; outside 800..1200 has odds far below 1e-9.
  expect(counts.get("w1")!).toBeGreaterThan(800);
  expect(counts.get("w1")!).toBeLessThan(1200);
  expect(counts.get(null)! + counts.get("w1")!).toBe(4000);
  expect(m.map("other")).toBeNull();
});

test("mappings refuse duplicate destinations and weights over 100, and honour a cluster's own destinations", () => {
  const m = new SubjectMappings();
  expect(() => m.add("a", [{ destination: "b", weight: 60 }, { destination: "c", weight: 50 }], undefined)).toThrow(/total weight/);
  expect(() => m.add("a", [{ destination: "b", weight: 10 }, { destination: "b", weight: 10 }], undefined)).toThrow(/duplicate/);
  m.add("k", [{ destination: "all", weight: 100 }, { destination: "east", weight: 100, cluster: "east" }], "east");
  expect(m.map("k")).toBe("east");
  const west = new SubjectMappings();
  west.add("k", [{ destination: "all", weight: 100 }, { destination: "east", weight: 100, cluster: "east" }], "west");
  expect(west.map("k")).toBe("all");
});

test("a literal source maps before any wildcard one, as nats-server's selectMappedSubject checks them", () => {
  const m = new SubjectMappings();
  m.add("a.*", [{ destination: "wild.$1", weight: 100 }], undefined);
  m.add("a.b", [{ destination: "lit", weight: 100 }], undefined);
  m.add("c", [{ destination: "lit.c", weight: 100 }], undefined);
  m.add("*", [{ destination: "any.$1", weight: 100 }], undefined);
  expect(m.map("a.b")).toBe("lit");
  expect(m.map("a.x")).toBe("wild.x");
  expect(m.map("c")).toBe("lit.c");
  expect(m.map("d")).toBe("any.d");
});
