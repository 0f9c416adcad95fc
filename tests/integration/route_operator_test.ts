/**
 * Operator mode across a route: two natsedge members trusting one operator load accounts from JWTs when their
 * users first connect, after the route is up, and the route then carries those accounts too (nats-server
 * sends an account's interest to its routes when the account is registered).
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credsAuthenticator } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { OperatorSetup } from "../_helpers/operator.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { until } from "../_helpers/leaf.ts";
import { edgeClusterPort, edgeRoutez } from "../_helpers/route.ts";

const own = useCleanup();
const dir = mkdtempSync(join(tmpdir(), "natsedge-oproute-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(conf: string): Promise<TestServer> {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, conf);
  return own(await runServerFromArgs(["-c", file]));
}

test("accounts loaded from JWTs after the route is up cross it, each in its own account", async () => {
  const setup = await OperatorSetup.create();
  const a = await setup.account("A");
  const b = await setup.account("B");
  const base = setup.conf({ dir: join(dir, "jwt1") });
  const s1 = await start(`server_name: s1\n${base}\ncluster { name: op, listen: "127.0.0.1:-1" }`);
  const s2 = await start(`server_name: s2\n${setup.conf({ dir: join(dir, "jwt2") })}\ncluster { name: op, listen: "127.0.0.1:-1", routes = ["nats-route://127.0.0.1:${edgeClusterPort(s1)}"] }`);
  await until(() => edgeRoutez(s1).length === 1 && edgeRoutez(s2).length === 1, "the route");
  const as = async (srv: TestServer, acc: typeof a) => own(await client(srv, { authenticator: credsAuthenticator((await setup.user(acc)).creds) }));
  const a1 = await as(s1, a);
  const b1 = await as(s1, b);
  const gotA: string[] = [];
  const gotB: string[] = [];
  a1.subscribe("t", { callback: (_e, m) => void gotA.push(m.string()) });
  b1.subscribe("t", { callback: (_e, m) => void gotB.push(m.string()) });
  await a1.flush();
  await b1.flush();
  // One `t` per account: s2 loaded each account when the route named it.
  await until(() => (edgeRoutez(s2)[0]?.subscriptions_list ?? []).filter((k) => k === "t").length === 2, "both accounts' interest on s2");
  const a2 = await as(s2, a);
  const b2 = await as(s2, b);
  a2.publish("t", "A");
  b2.publish("t", "B");
  await until(() => gotA.length === 1 && gotB.length === 1, "each account's message");
  expect([gotA, gotB]).toEqual([["A"], ["B"]]);
});
