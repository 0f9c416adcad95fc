/**
 * The system events a leaf link raises (nats-server 2.9.10). The accepting side advises the leaf in its account
 * (`$SYS.ACCOUNT.<acc>.SERVER.CONNS` and `.CONNECT` with kind Leafnode); `$SYS.ACCOUNT.<acc>.LEAFNODE.CONNECT`
 * is sendLeafNodeConnect's (events.go), which processLeafNodeConnect calls on the accepting side whatever the
 * remote's `hub` says, and which publishes only when the server has a gateway: it tells the super cluster to put
 * the account's gateways in interest-only mode. natsedge has no gateways (a `gateway {}` block is refused), so
 * the event never fires, as on a nats-server without one. Each case runs with natsedge and with nats-server in
 * the role under test, the other side a nats-server.
 */
import { describe, expect, test } from "bun:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, httpLeafz, until } from "../_helpers/leaf.ts";

const own = useCleanup();

const ACCOUNTS = `accounts {
  SYS: { users: [ { user: sys, password: sys } ] }
  A: { users: [ { user: a, password: a }, { user: leaf, password: leaf } ] }
}
system_account: SYS`;

async function serve(kind: string, conf: string): Promise<number> {
  if (kind === "nats-server") return own(await startNatsServer(conf)).port;
  return own(await runServer({ config: conf })).port;
}

/** The subjects `nc` receives under `$SYS.ACCOUNT.A.>`, in arrival order. */
function accountEvents(nc: NatsConnection): { subject: string; body: Record<string, unknown> }[] {
  const got: { subject: string; body: Record<string, unknown> }[] = [];
  nc.subscribe("$SYS.ACCOUNT.A.>", { callback: (_e, m) => void got.push({ subject: m.subject, body: m.json() }) });
  return got;
}

/**
 * Waits for the leaf's CONNECT advisory, then for a PING answer: the server queues its own messages in order,
 * so a LEAFNODE.CONNECT sent for the link would have arrived before that answer.
 */
async function eventsOfOneLeaf(sys: NatsConnection, events: ReturnType<typeof accountEvents>): Promise<string[]> {
  await until(() => events.some((e) => e.subject === "$SYS.ACCOUNT.A.CONNECT"), "the leaf's CONNECT advisory");
  await sys.request("$SYS.REQ.SERVER.PING", "", { timeout: 5000 });
  await sys.flush();
  return events.map((e) => e.subject);
}

for (const kind of ["natsedge", "nats-server"]) {
  for (const hub of [false, true]) {
    describe(`a ${kind} hub with a system account, a leaf dialling it${hub ? " with hub: true" : ""}`, () => {
      test("advises the leaf's CONNECT in its account and sends no LEAFNODE.CONNECT without a gateway", async () => {
        const leafPort = await freePort();
        const hubPort = await serve(kind, `server_name: hub\n${ACCOUNTS}\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
        const sys = own(await connect({ servers: `127.0.0.1:${hubPort}`, user: "sys", pass: "sys", reconnect: false }));
        const events = accountEvents(sys);
        await sys.flush();
        own(await startNatsServer(`server_name: leaf1\nleafnodes { remotes = [ { url: "nats-leaf://leaf:leaf@127.0.0.1:${leafPort}", hub: ${hub} } ] }`));
        const subjects = await eventsOfOneLeaf(sys, events);
        expect(subjects).toContain("$SYS.ACCOUNT.A.SERVER.CONNS");
        expect(subjects).not.toContain("$SYS.ACCOUNT.A.LEAFNODE.CONNECT");
        const advisory = events.find((e) => e.subject === "$SYS.ACCOUNT.A.CONNECT")!.body as { client: { kind: string; acc: string } };
        expect(advisory.client.kind).toBe("Leafnode");
        expect(advisory.client.acc).toBe("A");
      });
    });
  }

  describe(`a ${kind} leaf with a system account, dialling a hub in account A`, () => {
    test("sends neither a CONNECT advisory nor LEAFNODE.CONNECT for the link it dialled", async () => {
      const leafPort = await freePort();
      own(await startNatsServer(`server_name: hub\naccounts { A: { users: [ { user: leaf, password: leaf } ] } }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`));
      const edgeHttp = await freePort();
      const edgePort = await serve(
        kind,
        `server_name: edge\nhttp: "127.0.0.1:${edgeHttp}"\n${ACCOUNTS}\nleafnodes { remotes = [ { url: "nats-leaf://leaf:leaf@127.0.0.1:${leafPort}", account: A } ] }`,
      );
      const sys = own(await connect({ servers: `127.0.0.1:${edgePort}`, user: "sys", pass: "sys", reconnect: false }));
      const events = accountEvents(sys);
      await sys.flush();
      await until(async () => (await httpLeafz(edgeHttp)).length === 1, "the link at the leaf");
      await sys.request("$SYS.REQ.SERVER.PING", "", { timeout: 5000 });
      await sys.flush();
      const subjects = events.map((e) => e.subject);
      expect(subjects).not.toContain("$SYS.ACCOUNT.A.CONNECT");
      expect(subjects).not.toContain("$SYS.ACCOUNT.A.LEAFNODE.CONNECT");
    });
  });
}

describe("a nats-server hub with a gateway, the behaviour natsedge cannot be configured into", () => {
  for (const hub of [false, true]) {
    test(`publishes LEAFNODE.CONNECT with the account and its server block${hub ? " (the remote says hub: true)" : ""}`, async () => {
      const leafPort = await freePort();
      const gwPort = await freePort();
      const hubPort = own(await startNatsServer(`server_name: hub\n${ACCOUNTS}\nleafnodes { listen: "127.0.0.1:${leafPort}" }\ngateway { name: G1, listen: "127.0.0.1:${gwPort}" }`)).port;
      const sys = own(await connect({ servers: `127.0.0.1:${hubPort}`, user: "sys", pass: "sys", reconnect: false }));
      const events = accountEvents(sys);
      await sys.flush();
      own(await startNatsServer(`server_name: leaf1\nleafnodes { remotes = [ { url: "nats-leaf://leaf:leaf@127.0.0.1:${leafPort}", hub: ${hub} } ] }`));
      await until(() => events.some((e) => e.subject === "$SYS.ACCOUNT.A.LEAFNODE.CONNECT"), "LEAFNODE.CONNECT");
      const body = events.find((e) => e.subject === "$SYS.ACCOUNT.A.LEAFNODE.CONNECT")!.body as { acc: string; server: { name: string } };
      expect(body.acc).toBe("A");
      expect(body.server.name).toBe("hub");
    });
  }
});

describe("natsedge with a gateway block", () => {
  test("refuses to start, so it never has the gateway LEAFNODE.CONNECT needs", async () => {
    const gwPort = await freePort();
    const started = runServer({ config: `${ACCOUNTS}\ngateway { name: G1, listen: "127.0.0.1:${gwPort}" }` }).then((s) => own(s));
    await expect(started).rejects.toThrow(/unknown field "gateway"/);
  });
});
