/**
 * Leaf links bound to accounts (nats-server 2.9.10): a remote's `account` puts the soliciting side's end of the
 * link in that local account, and a hub puts an accepted leaf in its user's account. Messages and interest
 * cross only within that account. Each case runs with natsedge and with nats-server in the role under test,
 * the other side a nats-server.
 */
import { describe, expect, test } from "bun:test";
import { connect } from "@nats-io/transport-node";
import { startNatsServer } from "../_helpers/nats_server.ts";
import { runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { freePort, hasInterest, httpLeafz, until } from "../_helpers/leaf.ts";
import { collect } from "../_helpers/collect.ts";

const own = useCleanup();

const ACCOUNTS = `accounts {
  A: { users: [ { user: a, password: a } ] }
  B: { users: [ { user: b, password: b } ] }
}`;

async function serve(kind: string, conf: string): Promise<number> {
  if (kind === "nats-server") return own(await startNatsServer(conf)).port;
  return own(await runServer({ config: conf })).port;
}

const user = (port: number, u: string) => connect({ servers: `127.0.0.1:${port}`, user: u, pass: u, reconnect: false });

for (const kind of ["natsedge", "nats-server"]) {
  describe(`a ${kind} leaf whose remote names a local account`, () => {
    test("only that account's clients exchange messages with the hub", async () => {
      const leafPort = await freePort();
      const http = await freePort();
      const hub = own(await startNatsServer(`server_name: hub\nhttp: "127.0.0.1:${http}"\nleafnodes { listen: "127.0.0.1:${leafPort}" }`));
      const edgePort = await serve(kind, `server_name: edge\n${ACCOUNTS}\nleafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:${leafPort}", account: A } ] }`);
      const ea = own(await user(edgePort, "a"));
      const eb = own(await user(edgePort, "b"));
      const hn = own(await connect({ servers: `127.0.0.1:${hub.port}`, reconnect: false }));
      const atA = collect(ea, "down.x");
      const atB = collect(eb, "down.x");
      const atHub = collect(hn, "up.x");
      await ea.flush();
      await eb.flush();
      await hn.flush();
      await until(async () => hasInterest(await httpLeafz(http), "down.x"), "A's interest at the hub");
      hn.publish("down.x", "to A");
      ea.publish("up.x", "from A");
      eb.publish("up.x", "from B");
      await until(() => atA.length === 1 && atHub.length === 1, "traffic within account A");
      await ea.flush();
      await eb.flush();
      await hn.flush();
      expect(atA).toEqual(["to A"]);
      expect(atB).toEqual([]);
      expect(atHub).toEqual(["from A"]);
    });
  });

  describe(`a ${kind} hub that puts an accepted leaf in its user's account`, () => {
    test("the leaf's traffic is in that account alone, and /leafz names it", async () => {
      const leafPort = await freePort();
      const hubHttp = await freePort();
      const hubPort = await serve(
        kind,
        `server_name: hub\nhttp: "127.0.0.1:${hubHttp}"\n${ACCOUNTS}\nleafnodes { listen: "127.0.0.1:${leafPort}", authorization { users: [ { user: leafa, password: pw, account: A } ] } }`,
      );
      const http = await freePort();
      const leaf = own(await startNatsServer(`server_name: leaf1\nhttp: "127.0.0.1:${http}"\nleafnodes { reconnect: 1, remotes = [ { url: "nats-leaf://leafa:pw@127.0.0.1:${leafPort}" } ] }`));
      await until(async () => (await httpLeafz(http)).length === 1, "the link");
      const hubLeafz = (await (await fetch(`http://127.0.0.1:${hubHttp}/leafz`)).json()) as { leafs: { account: string }[] };
      expect(hubLeafz.leafs.map((l) => l.account)).toEqual(["A"]);
      const ha = own(await user(hubPort, "a"));
      const hb = own(await user(hubPort, "b"));
      const ln = own(await connect({ servers: `127.0.0.1:${leaf.port}`, reconnect: false }));
      const atLeaf = collect(ln, "down.y");
      const fromLeaf = collect(ha, "up.y");
      const notB = collect(hb, "up.y");
      await ln.flush();
      await ha.flush();
      await hb.flush();
      await until(async () => hasInterest(await httpLeafz(http), "up.y"), "A's interest at the leaf");
      hb.publish("down.y", "from B");
      await hb.flush();
      await until(async () => {
        ha.publish("down.y", "to leaf");
        await ha.flush();
        return atLeaf.length > 0;
      }, "A's message at the leaf");
      ln.publish("up.y", "from leaf");
      await until(() => fromLeaf.length === 1, "the leaf's message in A");
      await ln.flush();
      await hb.flush();
      expect(atLeaf.every((m) => m === "to leaf")).toBe(true);
      expect(fromLeaf).toEqual(["from leaf"]);
      expect(notB).toEqual([]);
    });
  });
}
