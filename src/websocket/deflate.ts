/**
 * permessage-deflate with no context takeover either way (RFC 7692), as nats-server negotiates it: every
 * message is its own raw DEFLATE stream, compressed at best speed and ended by a sync flush whose 00 00 ff ff
 * tail is left off.
 */
import { constants, deflateRawSync, inflateRawSync } from "node:zlib";

/** permessage-deflate's two halves, as a WsConn uses them; loaded only where compression is configured. */
export interface Deflate {
  deflate(data: Uint8Array): Uint8Array;
  /** Throws past `max` bytes of output. */
  inflate(data: Uint8Array, max: number): Uint8Array;
}

export const deflate: Deflate = { deflate: deflateMessage, inflate: inflateMessage };

export function deflateMessage(data: Uint8Array): Uint8Array {
  const out = deflateRawSync(data, { level: constants.Z_BEST_SPEED, finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** Inflates a whole message whose sync-flush tail was restored; throws past `max` bytes of output. */
export function inflateMessage(data: Uint8Array, max: number): Uint8Array {
  return inflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: max });
}
