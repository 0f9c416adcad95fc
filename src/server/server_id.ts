/**
 * The server's id in nats-server's form: an nkey server public key. natsedge never signs with it, so random
 * bytes stand in for a key pair.
 */
import { encodeNkey, NkeyPrefix } from "../protocol/nkey_codec.ts";

export function serverId(raw: Uint8Array = crypto.getRandomValues(new Uint8Array(32))): string {
  return encodeNkey(NkeyPrefix.Server, raw);
}
