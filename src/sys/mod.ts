/**
 * The system account's services (nats-server's internal system client): the `$SYS.REQ.SERVER.*` requests and
 * the connection advisories, on the system account's router through an InternalEndpoint of its own.
 */
import type { Client } from "../client/client.ts";
import { InternalEndpoint, type InternalMsg } from "../routing/internal.ts";
import { Envelope } from "./envelope.ts";
import { connectEvent, disconnectEvent } from "./events.ts";
import type { SysHost } from "./host.ts";
import { ACCOUNT_REQUEST_TYPES, accountAnswer, answer, REQUEST_TYPES } from "./requests.ts";
import type { Subscription } from "../routing/subscription.ts";

const encoder = new TextEncoder();

export class SystemServices {
  private readonly internal: InternalEndpoint;
  private readonly env: Envelope;
  private readonly subs: Subscription[] = [];

  constructor(private readonly srv: SysHost) {
    const router = srv.systemRouter.router;
    this.internal = new InternalEndpoint(router, () => srv.flushPending(), (subject, err) => {
      srv.log.error(`system request on ${JSON.stringify(subject)} failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.env = new Envelope(srv);
    const reply = (type: string) => (msg: InternalMsg) => {
      if (msg.reply === null) return;
      this.internal.publish(msg.reply, null, null, encoder.encode(JSON.stringify(answer(srv, this.env, type, msg))));
    };
    this.subs.push(this.internal.subscribe("$SYS.REQ.SERVER.PING", null, reply("PING")));
    for (const type of REQUEST_TYPES) {
      this.subs.push(this.internal.subscribe(`$SYS.REQ.SERVER.PING.${type}`, null, reply(type)));
      this.subs.push(this.internal.subscribe(`$SYS.REQ.SERVER.${srv.id}.${type}`, null, reply(type)));
    }
    for (const type of ACCOUNT_REQUEST_TYPES) {
      this.subs.push(this.internal.subscribe(`$SYS.REQ.ACCOUNT.*.${type}`, null, (msg) => {
        const a = msg.reply === null ? null : accountAnswer(srv, this.env, msg.subject.split(".")[3]!, type, msg);
        if (a !== null) this.internal.publish(msg.reply!, null, null, encoder.encode(JSON.stringify(a)));
      }));
    }
    srv.addSystemImports();
  }

  clientConnected(c: Client): void {
    this.advise(`$SYS.ACCOUNT.${c.account.name}.CONNECT`, () => connectEvent(this.env, c));
  }

  clientClosed(c: Client): void {
    this.advise(`$SYS.ACCOUNT.${c.account.name}.DISCONNECT`, () => disconnectEvent(this.env, c));
  }

  private advise(subject: string, build: () => object): void {
    if (!this.srv.systemRouter.router.sublist.hasInterest(subject)) return;
    this.internal.publish(subject, null, null, encoder.encode(JSON.stringify(build())));
  }

  async stop(): Promise<void> {
    for (const s of this.subs) this.internal.removeSub(s);
  }
}

export function startSystemServices(srv: SysHost): SystemServices {
  return new SystemServices(srv);
}
