/**
 * A stream's republish as nats.js sees it: the copy on the mapped subject with nats-server's Nats-Stream,
 * Nats-Subject, Nats-Sequence and Nats-Last-Sequence headers (and Nats-Msg-Size for headers_only), while the
 * stored message stays as published.
 */
import { expect, test } from "bun:test";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { headers, type Msg } from "@nats-io/transport-node";
import { jetStreamFixture } from "../_helpers/jetstream.ts";

const fx = jetStreamFixture("republish");

/** Resolves with the first `n` messages on `subject`. */
function collect(subject: string, n: number): Promise<Msg[]> {
  const sub = fx.nc.subscribe(subject, { max: n });
  return (async () => {
    const got: Msg[] = [];
    for await (const m of sub) got.push(m);
    return got;
  })();
}

const hdrs = (m: Msg) => Object.fromEntries(m.headers!.keys().map((k) => [k, m.headers!.get(k)]));

test("stored messages are republished on the mapped subject with the stream's headers", async () => {
  const jsm = await jetstreamManager(fx.nc);
  const info = await jsm.streams.add({ name: "RP", subjects: ["rp.*.*"], republish: { src: "rp.*.*", dest: "copy.$2.{{wildcard(1)}}" } });
  expect(info.config.republish).toEqual({ src: "rp.*.*", dest: "copy.$2.{{wildcard(1)}}" });
  const copies = collect("copy.>", 3);
  await fx.nc.flush();
  const js = jetstream(fx.nc);
  await js.publish("rp.a.x", "one");
  const h = headers();
  h.set("Foo", "bar");
  await js.publish("rp.b.y", "two", { headers: h });
  await js.publish("rp.a.x", "three");

  const got = await copies;
  expect(got.map((m) => [m.subject, m.string()])).toEqual([["copy.x.a", "one"], ["copy.y.b", "two"], ["copy.x.a", "three"]]);
  expect(hdrs(got[0]!)).toEqual({ "Nats-Stream": "RP", "Nats-Subject": "rp.a.x", "Nats-Sequence": "1", "Nats-Last-Sequence": "0" });
  expect(hdrs(got[1]!)).toEqual({ Foo: "bar", "Nats-Stream": "RP", "Nats-Subject": "rp.b.y", "Nats-Sequence": "2", "Nats-Last-Sequence": "0" });
  // The previous message on the same subject, not the stream's previous sequence.
  expect(got[2]!.headers!.get("Nats-Last-Sequence")).toBe("1");

  const stored = await jsm.streams.getMessage("RP", { seq: 2 });
  expect(stored!.header.keys()).toEqual(["Foo"]);
  expect(stored!.string()).toBe("two");
  await jsm.streams.delete("RP");
});

test("headers_only republishes an empty body with the payload's size, and only what matches src", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "RPH", subjects: ["rph.>"], republish: { src: "rph.keep.>", dest: "meta.>", headers_only: true } });
  const copies = collect("meta.>", 1);
  await fx.nc.flush();
  const js = jetstream(fx.nc);
  await js.publish("rph.drop", "not republished");
  await js.publish("rph.keep.k", "12345");

  const [m] = await copies;
  // The destination's > stands for what the source's > matched.
  expect(m!.subject).toBe("meta.k");
  expect(m!.data.length).toBe(0);
  expect(hdrs(m!)).toEqual({ "Nats-Stream": "RPH", "Nats-Subject": "rph.keep.k", "Nats-Sequence": "2", "Nats-Last-Sequence": "0", "Nats-Msg-Size": "5" });
  await jsm.streams.delete("RPH");
});

test("an empty src republishes everything, and reads back as >", async () => {
  const jsm = await jetstreamManager(fx.nc);
  const info = await jsm.streams.add({ name: "RPA", subjects: ["rpa.>"], republish: { dest: "all.>" } as never });
  expect(info.config.republish).toEqual({ src: ">", dest: "all.>" });
  const copies = collect("all.>", 1);
  await fx.nc.flush();
  await jetstream(fx.nc).publish("rpa.z", "z");
  expect((await copies)[0]!.subject).toBe("all.rpa.z");
  await jsm.streams.delete("RPA");
});

test("a KV bucket created with republish sends each put and delete out, markers included", async () => {
  const kv = await new Kvm(fx.nc).create("RPKV", { republish: { src: "$KV.RPKV.>", dest: "cache.>" } });
  expect((await kv.status()).republish).toEqual({ src: "$KV.RPKV.>", dest: "cache.>" });
  const copies = collect("cache.>", 2);
  await fx.nc.flush();
  await kv.put("k", "v1");
  await kv.delete("k");
  const [put, del] = await copies;
  expect([put!.subject, put!.string(), put!.headers!.get("Nats-Sequence")]).toEqual(["cache.k", "v1", "1"]);
  expect([del!.subject, del!.data.length, del!.headers!.get("KV-Operation"), del!.headers!.get("Nats-Last-Sequence")]).toEqual(["cache.k", 0, "DEL", "1"]);
});

test("republish destinations may use nats-server's mapping functions (partition, split)", async () => {
  const jsm = await jetstreamManager(fx.nc);
  await jsm.streams.add({ name: "RPF", subjects: ["rpf.*.*"], republish: { src: "rpf.*.*", dest: "part.{{partition(4,1)}}.{{split(2,-)}}" } });
  const copies = collect("part.>", 2);
  await fx.nc.flush();
  const js = jetstream(fx.nc);
  await js.publish("rpf.gamma.a-b", "one");
  await js.publish("rpf.delta.c-d", "two");
  // FNV-1a 32 of "gamma" and of "delta", modulo 4, as nats-server partitions (this file also runs against it).
  expect((await copies).map((m) => m.subject)).toEqual(["part.2.a.b", "part.1.c.d"]);
  await jsm.streams.delete("RPF");
});
