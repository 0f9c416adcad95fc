/**
 * Account JWT updates through the system account (nats-server 2.9's DirAccResolver.Start and
 * accountClaimUpdate): with a full or cache resolver, `$SYS.REQ.ACCOUNT.<pub>.CLAIMS.UPDATE` and
 * `$SYS.REQ.CLAIMS.UPDATE` store a valid JWT and apply it to the live account,
 * `$SYS.REQ.ACCOUNT.<pub>.CLAIMS.LOOKUP` answers with the stored JWT, `$SYS.REQ.CLAIMS.LIST` with the stored
 * accounts, and `$SYS.REQ.CLAIMS.DELETE` (an operator-signed list of accounts) deletes JWTs when the resolver
 * has `allow_delete`. With MEMORY only the per-account subjects (new and old form) are served, and only
 * accounts in use are updated ("jwt update skipped").
 */
import type { OperatorMode } from "../account/operator.ts";
import { JwtError } from "../auth/jwt_verify.ts";
import { unverifiedClaims } from "../config/_operator.ts";
import type { InternalEndpoint, InternalMsg } from "../routing/internal.ts";
import type { Subscription } from "../routing/subscription.ts";
import type { Envelope } from "./envelope.ts";
import type { SysHost } from "./host.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HTTP_OK = 200;
const HTTP_ERROR = 500;

export function claimsServices(srv: SysHost, op: OperatorMode, env: Envelope, internal: InternalEndpoint): Subscription[] {
  /** nats-server's respondToUpdate; an empty `account` (CLAIMS.DELETE) is left out of log line and body. */
  const respond = (msg: InternalMsg, account: string, message: string, err: unknown = null) => {
    const about = account === "" ? "" : ` - ${account}`;
    const acc = account === "" ? {} : { account };
    if (err === null) srv.log.debugf(`${message}${about}`);
    else srv.log.error(`${message}${about} - ${err instanceof Error ? err.message : String(err)}`);
    if (msg.reply === null) return;
    const body = err === null
      ? { data: { ...acc, code: HTTP_OK, message }, server: env.server() }
      : { error: { ...acc, code: HTTP_ERROR, description: `${message} - ${err instanceof Error ? err.message : String(err)}` }, server: env.server() };
    internal.publish(msg.reply, null, null, encoder.encode(JSON.stringify(body)));
  };
  const reply = (msg: InternalMsg, body: object) => internal.publish(msg.reply!, null, null, encoder.encode(JSON.stringify(body)));
  const update = (msg: InternalMsg, pub: string, live: boolean) => {
    const jwt = decoder.decode(msg.data);
    if (jwt.length === 0) return respond(msg, pub, "jwt update error", new Error("request body is empty"));
    try {
      if (!live) op.update(pub, jwt);
      else if (!op.updateLive(pub, jwt)) return respond(msg, pub, "jwt update skipped");
      respond(msg, pub, "jwt updated");
    } catch (err) {
      // The directory resolver cannot say which account a JWT it could not decode was for.
      respond(msg, !live && err instanceof JwtError ? "n/a" : pub, "jwt update resulted in error", err);
    }
  };
  const perAccount = (msg: InternalMsg) => msg.subject.split(".")[msg.subject.startsWith("$SYS.REQ.") ? 3 : 2]!;
  if (op.resolver.type === "memory") {
    return ["$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE", "$SYS.ACCOUNT.*.CLAIMS.UPDATE"].map((s) => internal.subscribe(s, null, (msg) => update(msg, perAccount(msg), true)));
  }
  return [
    internal.subscribe("$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE", null, (msg) => update(msg, perAccount(msg), false)),
    internal.subscribe("$SYS.REQ.CLAIMS.UPDATE", null, (msg) => {
      const sub = unverifiedClaims(decoder.decode(msg.data))?.sub;
      if (typeof sub !== "string") return respond(msg, "n/a", "jwt update resulted in error", new Error("expected 3 chunks"));
      update(msg, sub, false);
    }),
    internal.subscribe("$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP", null, (msg) => {
      const jwt = msg.reply === null ? null : op.resolver.fetch(perAccount(msg));
      if (jwt !== null) internal.publish(msg.reply!, null, null, encoder.encode(jwt));
    }),
    internal.subscribe("$SYS.REQ.CLAIMS.LIST", null, (msg) => {
      if (msg.reply === null) return;
      const ids = op.resolver.list();
      srv.log.debugf(`list request responded with ${ids.length} account ids`);
      reply(msg, { server: env.server(), data: ids });
    }),
    internal.subscribe("$SYS.REQ.CLAIMS.DELETE", null, (msg) => {
      const out = op.deleteAccounts(decoder.decode(msg.data));
      if ("refused" in out) return respond(msg, "", `delete accounts request by ${out.by} failed`, new Error(out.refused));
      if (out.failed.length === 0) return respond(msg, "", `deleted ${out.deleted} accounts`);
      respond(msg, "", `deleted ${out.deleted} accounts, failed for ${out.failed.length}`, new Error(out.failed.join("\n")));
    }),
  ];
}
