import { expect, test } from "bun:test";
import { Codec } from "@nats-io/nkeys/lib/codec.js";
import { createUser, fromPublic, Prefix } from "@nats-io/nkeys";
import { serverId } from "../../../src/server/server_id.ts";
import { decodeNkey, NkeyPrefix } from "../../../src/protocol/nkey_codec.ts";

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

test("decodeNkey() reads user keys made by @nats-io/nkeys and refuses other kinds and bad checksums", () => {
  for (let i = 0; i < 20; i++) {
    const pub = createUser().getPublicKey();
    const expected = Codec.decode(Prefix.User, new TextEncoder().encode(pub));
    expect(decodeNkey(NkeyPrefix.User, pub)).toEqual(new Uint8Array(expected));
    expect(decodeNkey(NkeyPrefix.Server, pub)).toBeNull();
    const flipped = pub.slice(0, 20) + (pub[20] === "A" ? "B" : "A") + pub.slice(21);
    expect(decodeNkey(NkeyPrefix.User, flipped)).toBeNull();
  }
  expect(decodeNkey(NkeyPrefix.User, "not a key")).toBeNull();
  expect(decodeNkey(NkeyPrefix.User, serverId())).toBeNull();
});
