/**
 * What the router needs from whoever publishes or subscribes: a client connection, or an endpoint inside
 * the server (JetStream's API, system services) that has no socket.
 */
import type { PubArg } from "../protocol/parser.ts";
import type { Subscription } from "./subscription.ts";
import type { MatchCache } from "./match_cache.ts";
import type { Connection } from "../connection/connection.ts";

export interface Endpoint {
  /** The connection id (0 for the server's own endpoint), as /connz and /subsz report it. */
  readonly cid: number;
  readonly closed: boolean;
  readonly opts: { readonly echo: boolean; readonly noResponders: boolean };
  /** When true, admitDelivery is asked before each delivery (permissions, reply tracking). */
  readonly checksDelivery: boolean;
  admitDelivery(subject: string, pa: PubArg): boolean;
  /**
   * `payload` is the payload followed by CRLF; valid only during the call. `subject` is pa's subject as a
   * string (receivers that need a string need not decode it again). `routeSubject` is the subject the message
   * was routed on, which differs from `subject` for a JetStream delivery to a consumer's inbox: a stream import
   * renames and routes that one in the importer, as nats-server does with pa.deliver.
   */
  deliver(sub: Subscription, pa: PubArg, payload: Uint8Array, subject: string, routeSubject: string): void;
  /**
   * When present, used instead of deliver: the payload followed by CRLF is buf[start, start + pa.size + 2),
   * for an endpoint that copies it out at once (a client's MSG), so the router makes no view of it.
   * `subject` and `routeSubject` are deliver's.
   */
  deliverAt?(sub: Subscription, pa: PubArg, buf: Uint8Array, start: number, subject: string, routeSubject: string): void;
  deliverNoResponders(sub: Subscription, reply: string, subject: string): void;
  /** The connection under this endpoint (its outbound buffer, the fast-producer stall); null without a socket. */
  readonly link: Connection | null;
  /** True for a RemoteEndpoint: a link to another server, which takes each message once. */
  readonly remote?: boolean;
  removeSub(sub: Subscription): void;
}

/** An endpoint that publishes: it carries the router's match cache for it. */
export interface Publisher extends Endpoint {
  readonly matchCache: MatchCache;
  /**
   * The connection the fast-producer stall pauses when a receiver of this publisher's message backs up, where
   * it is not `link`: a bridge between accounts names the client whose publish it carries, as nats-server
   * stalls the publishing client across imports. Null or absent: `link`.
   */
  readonly producerLink?: Connection | null;
}

/**
 * A link to another server (a leaf node connection; a route later). Its subscriptions stand for the peer's
 * interest, so, as nats-server's processMsgResults does, the router sends it each message at most once,
 * naming the queue groups it picked the link for, and prefers local queue members over it.
 */
export interface RemoteEndpoint extends Publisher {
  readonly remote: true;
  /**
   * The cluster name on the other side ("" when unknown): a message never goes from one link to another
   * whose peer has the same origin (nats-server's cluster-wide no-echo).
   */
  readonly origin: string;
  /** Which route() call last collected this endpoint; the router's bookkeeping. */
  routeMark: number;
  /** The queue groups collected for the message being routed; the router's bookkeeping. */
  readonly routeQueues: string[];
  /**
   * The payload followed by CRLF is buf[start, start + pa.size + 2), valid only during the call (no view of
   * it is made per message). `subject` is the subject the message was routed on when it differs from pa's
   * (a JetStream delivery to an inbox), "" when it is pa's own.
   */
  deliverRemote(pa: PubArg, buf: Uint8Array, start: number, subject: string, queues: readonly string[]): void;
}
