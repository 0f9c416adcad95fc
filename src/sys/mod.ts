/**
 * The system account's services (nats-server's internal system client): the `$SYS.REQ.SERVER.*` and
 * `$SYS.REQ.ACCOUNT.*` requests, the connection advisories and account connection events, the server's
 * STATSZ pushes, its authentication-error and shutdown events, on the system account's router through an
 * InternalEndpoint of its own.
 */
import type { Client } from "../client/client.ts";
import { InternalEndpoint, type InternalMsg } from "../routing/internal.ts";
import { AccountConns } from "./account_conns.ts";
import { Envelope } from "./envelope.ts";
import { connectEvent, disconnectEvent, type LeafLink, leafConnectEvent, leafDisconnectEvent } from "./events.ts";
import type { SysHost } from "./host.ts";
import { ACCOUNT_REQUEST_TYPES, accountAnswer, answer, REQUEST_TYPES, statsz } from "./requests.ts";
import { StatszPush } from "./statsz_push.ts";
import { LatencyPublisher } from "./latency.ts";
import type { Subscription } from "../routing/subscription.ts";
import { claimsServices } from "./claims.ts";

const encoder = new TextEncoder();

export class SystemServices {
  private readonly internal: InternalEndpoint;
  private readonly env: Envelope;
  private readonly subs: Subscription[] = [];
  private readonly accountConns: AccountConns;
  private readonly statszPush: StatszPush;
  private readonly latency: LatencyPublisher;
  private shutdownSent = false;

  constructor(private readonly srv: SysHost) {
    const router = srv.systemRouter.router;
    this.internal = new InternalEndpoint(router, () => srv.flushPending(), (subject, err) => {
      srv.log.error(`system request on ${JSON.stringify(subject)} failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.env = new Envelope(srv);
    const reply = (type: string) => (msg: InternalMsg) => {
      const a = msg.reply === null ? null : answer(srv, this.env, type, msg);
      if (a !== null) this.send(msg.reply!, a);
    };
    this.subs.push(this.internal.subscribe("$SYS.REQ.SERVER.PING", null, reply("PING")));
    for (const type of REQUEST_TYPES) {
      this.subs.push(this.internal.subscribe(`$SYS.REQ.SERVER.PING.${type}`, null, reply(type)));
      this.subs.push(this.internal.subscribe(`$SYS.REQ.SERVER.${srv.id}.${type}`, null, reply(type)));
    }
    for (const type of ACCOUNT_REQUEST_TYPES) {
      this.subs.push(this.internal.subscribe(`$SYS.REQ.ACCOUNT.*.${type}`, null, (msg) => {
        const a = msg.reply === null ? null : accountAnswer(srv, this.env, accountOf(msg), type, msg);
        if (a !== null) this.send(msg.reply!, a);
      }));
    }
    this.accountConns = new AccountConns(srv, this.env, (subject, body) => this.send(subject, body), (s) => this.listened(s));
    for (const c of srv.clients.values()) if (c.connected) this.accountConns.adopt(c.account.name);
    this.subs.push(this.internal.subscribe("$SYS.REQ.ACCOUNT.*.CONNS", null, (msg) => {
      if (msg.reply !== null) this.accountConns.request(accountOf(msg), msg.reply);
    }));
    if (srv.operator !== null) this.subs.push(...claimsServices(srv, srv.operator, this.env, this.internal));
    srv.addSystemImports();
    this.latency = new LatencyPublisher(srv);
    const statszSubject = `$SYS.SERVER.${srv.id}.STATSZ`;
    this.statszPush = new StatszPush(() => this.advise(statszSubject, () => ({ server: this.env.server(), statsz: statsz(srv) })));
  }

  clientConnected(c: Client): void {
    this.accountConns.connected(c.account.name);
    this.advise(`$SYS.ACCOUNT.${c.account.name}.CONNECT`, () => connectEvent(this.env, c));
  }

  clientClosed(c: Client): void {
    this.accountConns.closed(c.account.name);
    this.advise(`$SYS.ACCOUNT.${c.account.name}.DISCONNECT`, () => disconnectEvent(this.env, c));
  }

  /**
   * A leaf link set up: it counts in its account's connections; one a leaf made to this server is advised
   * like a client (nats-server 2.9.10 advises no link this server dialled).
   */
  leafUp(l: LeafLink): void {
    this.accountConns.connected(l.account);
    if (l.accepted) this.advise(`$SYS.ACCOUNT.${l.account}.CONNECT`, () => leafConnectEvent(this.env, l));
  }

  leafDown(l: LeafLink): void {
    this.accountConns.closed(l.account);
    if (l.accepted) this.advise(`$SYS.ACCOUNT.${l.account}.DISCONNECT`, () => leafDisconnectEvent(this.env, l));
  }

  /** A client refused at CONNECT (nats-server's sendAuthErrorEvent). */
  clientAuthFailed(c: Client): void {
    this.advise(`$SYS.SERVER.${this.srv.id}.CLIENT.AUTH.ERR`, () => disconnectEvent(this.env, c));
  }

  /** `$SYS.SERVER.<id>.SHUTDOWN` with the server block, before the clients that may hear it are closed. */
  serverShutdown(): void {
    if (this.shutdownSent) return;
    this.shutdownSent = true;
    this.advise(`$SYS.SERVER.${this.srv.id}.SHUTDOWN`, () => this.env.server());
  }

  private listened(subject: string): boolean {
    return this.srv.systemRouter.router.sublist.hasInterest(subject);
  }

  private advise(subject: string, build: () => object): void {
    if (this.listened(subject)) this.send(subject, build());
  }

  private send(subject: string, body: object): void {
    this.internal.publish(subject, null, null, encoder.encode(JSON.stringify(body)));
  }

  async stop(): Promise<void> {
    this.statszPush.stop();
    this.accountConns.stop();
    this.latency.stop();
    for (const s of this.subs) this.internal.removeSub(s);
  }
}

/** The account a `$SYS.REQ.ACCOUNT.<acc>.<type>` request is about. */
function accountOf(msg: InternalMsg): string {
  return msg.subject.split(".")[3]!;
}

export function startSystemServices(srv: SysHost): SystemServices {
  return new SystemServices(srv);
}
