import { expect, test } from "bun:test";
import { Codec } from "@nats-io/nkeys/lib/codec.js";
import { Prefix, fromPublic } from "@nats-io/nkeys";
import { serverId } from "../../../src/server/server_id.ts";

test("serverId() encodes a server public key exactly as @nats-io/nkeys does", () => {
  for (let i = 0; i < 50; i++) {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const expected = new TextDecoder().decode(Codec.encode(Prefix.Server, raw));
    expect(serverId(raw)).toBe(expected);
  }
});

test("serverId() without arguments is a valid, random 56-character server nkey", () => {
  const a = serverId();
  const b = serverId();
  expect(a).toHaveLength(56);
  expect(a[0]).toBe("N");
  expect(fromPublic(a).getPublicKey()).toBe(a);
  expect(a).not.toBe(b);
});
