/**
 * Server-side delivery of a stored message to a pull request's inbox. The router matches on the inbox, while
 * the MSG line carries the message's original subject (nats-server's `pa.deliver`), so the client sees the
 * stream subject and the `$JS.ACK...` reply. InternalEndpoint.publish cannot do that: it uses one subject.
 */
import type { PubArg } from "../protocol/parser.ts";
import type { Router } from "../routing/router.ts";
import type { InternalEndpoint } from "../server/internal.ts";

const encoder = new TextEncoder();

export function deliverAs(router: Router, from: InternalEndpoint, inbox: string, subject: string, reply: string, hdr: Uint8Array, data: Uint8Array): void {
  const s = encoder.encode(subject);
  const r = encoder.encode(reply);
  const size = hdr.length + data.length;
  const buf = new Uint8Array(s.length + r.length + size + 2);
  buf.set(s, 0);
  buf.set(r, s.length);
  const start = s.length + r.length;
  buf.set(hdr, start);
  buf.set(data, start + hdr.length);
  buf[start + size] = 13;
  buf[start + size + 1] = 10;
  const pa: PubArg = {
    buf,
    subjStart: 0,
    subjEnd: s.length,
    replyStart: s.length,
    replyEnd: start,
    hdr: hdr.length > 0 ? hdr.length : -1,
    size,
  };
  router.route(from, inbox, pa, buf, start);
}
