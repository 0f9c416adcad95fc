/**
 * Key hierarchy. The configured key string (EK) is never written anywhere; everything is derived from it:
 *
 *   stream key  SK  = HKDF-SHA256(EK, salt = stream salt, "natsedge/v1/stream")   (stream salt: key.chk)
 *   file key        = HKDF-SHA256(SK, salt = that file's random salt, "natsedge/v1/<purpose>/<cipher id>")
 *   key id          = HMAC-SHA256(EK, "natsedge/v1/key-id" ‖ stream salt)[0..4] as u32 (never 0)
 *
 * Every segment, block summary and metadata file gets a fresh random salt when it is created, so its key is
 * new; nonces under one key come from a counter that lives only as long as that key. A key is therefore never
 * used across a crash, a truncation or a rewrite, and no (key, nonce) pair can seal two plaintexts. The key
 * id tells which configured key (key or prev_key) a file was written under; 0 means plaintext.
 */
import { createHmac, hkdfSync, randomFillSync } from "node:crypto";
import { utf8 } from "./bytes.ts";

export const SALT_LENGTH = 16;

export const Purpose = { Frames: "frames", Summary: "summary", Meta: "meta", Check: "check" } as const;
export type Purpose = typeof Purpose[keyof typeof Purpose];

export function randomSalt(): Uint8Array {
  return randomFillSync(new Uint8Array(SALT_LENGTH));
}

function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", ikm, salt, utf8(info), 32));
}

/** One configured key string bound to one stream (its salt): derives everything that stream needs. */
export class StreamKey {
  readonly id: number;
  readonly #ek: Uint8Array;
  readonly #sk: Uint8Array;

  constructor(key: string, streamSalt: Uint8Array) {
    this.#ek = utf8(key);
    this.#sk = hkdf(this.#ek, streamSalt, "natsedge/v1/stream");
    const mac = createHmac("sha256", this.#ek).update(utf8("natsedge/v1/key-id")).update(streamSalt).digest();
    this.id = mac.readUInt32LE(0) || 1;
  }

  /** The key sealing one file (segment, summary, metadata) with `cipher`. */
  fileKey(purpose: Purpose, cipher: number, salt: Uint8Array): Uint8Array {
    return hkdf(this.#sk, salt, `natsedge/v1/${purpose}/${cipher}`);
  }
}
