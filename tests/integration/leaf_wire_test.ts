/**
 * The accepting side of the leaf protocol byte for byte, over raw TCP (a port of nats-server's
 * test/leafnode_test.go): every case runs against natsedge and against nats-server 2.9.10 itself, so the
 * expectations are the reference's, not ours.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startNatsServer, type NatsServerProcess } from "../_helpers/nats_server.ts";
import { INFO_LINE } from "../_helpers/raw.ts";
import { RawConn, runServer, type TestServer } from "../_helpers/server.ts";
import { freePort } from "../_helpers/leaf.ts";
import { useCleanup } from "../_helpers/scope.ts";

const own = useCleanup();

interface Target {
  clientPort: number;
  leafPort: number;
  close(): Promise<void>;
}

const targets: Record<string, () => Promise<Target>> = {
  natsedge: async () => {
    const leafPort = await freePort();
    const srv: TestServer = await runServer({ config: `server_name: hub\nleafnodes { listen: "127.0.0.1:${leafPort}" }` });
    return { clientPort: srv.port, leafPort, close: () => srv.close() };
  },
  "nats-server": async () => {
    const leafPort = await freePort();
    const p: NatsServerProcess = await startNatsServer(`server_name: hub\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
    return { clientPort: p.port, leafPort, close: () => p.close() };
  },
};

const INFO_JSON = /INFO (\{.*?\}) ?\r\n/g;

function infos(c: RawConn): Record<string, unknown>[] {
  return [...c.received.matchAll(INFO_JSON)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);
}

/** A raw leaf that has sent CONNECT {} and got the connect_info INFO and the hub's $LDS. */
async function rawLeaf(t: Target, name = "rawleaf"): Promise<RawConn> {
  const c = own(await RawConn.open(t.leafPort));
  await c.waitFor(INFO_LINE);
  c.send(`CONNECT {"name":"${name}","cluster":"${name}","headers":true}\r\n`);
  await c.waitFor(/LS\+ \$LDS\.\S+\r\n/);
  await leafSync(c);
  c.clear();
  return c;
}

/** PING/PONG on the leaf link: everything the hub had to say before it is in. */
async function leafSync(c: RawConn): Promise<void> {
  const n = (c.received.match(/PONG\r\n/g) ?? []).length;
  c.send("PING\r\n");
  await c.waitUntil((s) => (s.match(/PONG\r\n/g) ?? []).length > n, "PONG");
}

/** A raw client, connected, buffer cleared. */
async function rawClient(t: Target): Promise<RawConn> {
  const c = own(await RawConn.open(t.clientPort));
  await c.waitFor(INFO_LINE);
  c.send('CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\nPING\r\n');
  await c.waitFor("PONG\r\n");
  c.clear();
  return c;
}

for (const [name, start] of Object.entries(targets)) {
  describe(`leaf wire, accepting side: ${name}`, () => {
    let t: Target;
    beforeAll(async () => {
      t = await start();
    });
    afterAll(async () => {
      await t.close();
    });

    test("first INFO: auth_required, a client_id, a 15-char nonce, info_on_connect, headers, leafnode_urls", async () => {
      const c = own(await RawConn.open(t.leafPort));
      await c.waitFor(INFO_LINE);
      const [info] = infos(c);
      expect(info!.auth_required).toBe(true);
      expect(info!.client_id).toBeGreaterThan(0);
      expect(info!.nonce).toMatch(/^[A-Za-z0-9_-]{15}$/);
      expect(info!.info_on_connect).toBe(true);
      expect(info!.headers).toBe(true);
      expect(info!.leafnode_urls).toEqual([`127.0.0.1:${t.leafPort}`]);
      expect(info!.connect_info).toBeUndefined();
    });

    test("CONNECT {}: a second INFO with connect_info and remote_account, then LS+ $LDS.", async () => {
      const c = own(await RawConn.open(t.leafPort));
      await c.waitFor(INFO_LINE);
      c.send("CONNECT {}\r\n");
      await c.waitFor(/LS\+ \$LDS\.\S+\r\n/);
      const second = infos(c)[1]!;
      expect(second.connect_info).toBe(true);
      expect(second.remote_account).toBe("$G");
    });

    test("a client's CONNECT on the leaf port is refused", async () => {
      const c = own(await RawConn.open(t.leafPort));
      await c.waitFor(INFO_LINE);
      c.send('CONNECT {"lang":"go","verbose":false}\r\n');
      await c.waitFor("-ERR 'attempted to connect to leaf node port'\r\n");
      await c.waitClosed();
    });

    test("anything before CONNECT is an authorization violation", async () => {
      const c = own(await RawConn.open(t.leafPort));
      await c.waitFor(INFO_LINE);
      c.send("PING\r\n");
      await c.waitFor("-ERR 'Authorization Violation'\r\n");
      await c.waitClosed();
    });

    test("no CONNECT: Authentication Timeout", async () => {
      const c = own(await RawConn.open(t.leafPort));
      await c.waitFor(INFO_LINE);
      await c.waitFor("-ERR 'Authentication Timeout'\r\n", 5000);
      await c.waitClosed();
    });

    test("the initial burst counts: 5 client subs give foo, bar and 'foo baz 2'", async () => {
      const cl = await rawClient(t);
      cl.send("SUB foo 1\r\nSUB bar 2\r\nSUB foo baz 3\r\nSUB foo baz 4\r\nSUB bar 5\r\nPING\r\n");
      await cl.waitFor("PONG\r\n");
      const leaf = own(await RawConn.open(t.leafPort));
      await leaf.waitFor(INFO_LINE);
      leaf.send("CONNECT {}\r\n");
      await leaf.waitFor(/LS\+ \$LDS/);
      await leafSync(leaf);
      const lines = leaf.received.match(/LS\+ [^\r]*/g)!.filter((l) => !l.startsWith("LS+ $LDS.") && !l.startsWith("LS+ $SYS."));
      expect(lines.sort()).toEqual(["LS+ bar", "LS+ foo", "LS+ foo baz 2"]);
      // Live updates: a third queue member re-advertises the weight; the last plain sub going sends LS-.
      leaf.clear();
      cl.send("SUB foo baz 6\r\nUNSUB 1\r\nPING\r\n");
      await cl.waitFor("PONG\r\n");
      await leaf.waitFor("LS+ foo baz 3\r\n");
      await leaf.waitFor("LS- foo\r\n");
      cl.close();
      await leaf.waitFor("LS- bar\r\n");
      await leaf.waitFor("LS- foo baz\r\n");
    });

    test("a leaf's queue weight is not passed on: another leaf sees each remote group member once", async () => {
      // nats-server 2.9.10 counts a leaf's queue subscription as one member however many it stands for.
      const a = await rawLeaf(t, "leafa");
      const b = await rawLeaf(t, "leafb");
      a.send("LS+ work g 3\r\n");
      await leafSync(a);
      await b.waitFor("LS+ work g 1\r\n");
      const cl = await rawClient(t);
      cl.send("SUB work g 1\r\nPING\r\n");
      await cl.waitFor("PONG\r\n");
      await b.waitFor("LS+ work g 2\r\n");
      a.send("LS- work g\r\n");
      await leafSync(a);
      await b.waitUntil((s) => s.endsWith("LS+ work g 1\r\n") || /LS\+ work g 2\r\n[\s\S]*LS\+ work g 1\r\n/.test(s), "the weight back to 1");
      cl.close();
      await b.waitFor("LS- work g\r\n");
    });

    test("LMSG forms: plain interest always, queue members only when named", async () => {
      const cl = await rawClient(t);
      cl.send("SUB lm 1\r\nSUB lm q 2\r\nPING\r\n");
      await cl.waitFor("PONG\r\n");
      const leaf = await rawLeaf(t);
      leaf.send("LMSG lm 2\r\nok\r\n");
      await cl.waitFor("MSG lm 1 2\r\nok\r\n");
      leaf.send("LMSG lm | q 3\r\ntwo\r\n");
      await cl.waitFor("MSG lm 1 3\r\ntwo\r\n");
      await cl.waitFor("MSG lm 2 3\r\ntwo\r\n");
      leaf.send("LMSG lm + rep q 3\r\nthr\r\nHMSG lm 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
      await cl.waitFor("MSG lm 2 rep 3\r\nthr\r\n");
      await cl.waitFor("HMSG lm 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
      await leafSync(leaf);
      cl.send("PING\r\n");
      await cl.waitFor(/PONG\r\n$/);
      // Untargeted LMSGs (two) never reached sid 2.
      expect(cl.received.match(/MSG lm 2 /g)!.length).toBe(2);
    });

    test("one LMSG per message naming the picked group; never echoed back to its sender", async () => {
      const leaf = await rawLeaf(t);
      leaf.send("LS+ out\r\nLS+ out g 2\r\n");
      await leafSync(leaf);
      const cl = await rawClient(t);
      cl.send("PUB out reply.x 2\r\nhi\r\nPING\r\n");
      await cl.waitFor("PONG\r\n");
      await leaf.waitFor("LMSG out + reply.x g 2\r\nhi\r\n");
      leaf.clear();
      leaf.send("LMSG out 2\r\nno\r\n");
      await leafSync(leaf);
      expect(leaf.received).not.toContain("LMSG");
    });

    test("a leaf that advertises the hub's own $LDS is told about the loop and dropped", async () => {
      const c = own(await RawConn.open(t.leafPort));
      await c.waitFor(INFO_LINE);
      c.send("CONNECT {}\r\n");
      const text = await c.waitFor(/LS\+ (\$LDS\.\S+)\r\n/);
      const lds = /LS\+ (\$LDS\.\S+)\r\n/.exec(text)![1]!;
      c.send(`LS+ ${lds}\r\n`);
      await c.waitFor(`-ERR 'Loop detected for leafnode account="$G". Delaying attempt to reconnect for 30s'\r\n`);
      await c.waitClosed();
    });
  });
}

const limitedTargets: Record<string, () => Promise<Target>> = {
  natsedge: async () => {
    const leafPort = await freePort();
    const srv: TestServer = await runServer({ config: `leafnodes { listen: "127.0.0.1:${leafPort}", min_version: "2.8.0", advertise: "lb.example:7422" }` });
    return { clientPort: srv.port, leafPort, close: () => srv.close() };
  },
  "nats-server": async () => {
    const leafPort = await freePort();
    const p = await startNatsServer(`leafnodes { listen: "127.0.0.1:${leafPort}", min_version: "2.8.0", advertise: "lb.example:7422" }`);
    return { clientPort: p.port, leafPort, close: () => p.close() };
  },
};

for (const [name, start] of Object.entries(limitedTargets)) {
  describe(`leaf wire, min_version and advertise: ${name}`, () => {
    let t: Target;
    beforeAll(async () => {
      t = await start();
    });
    afterAll(async () => {
      await t.close();
    });

    test("leafnode_urls carries the advertised address", async () => {
      const c = own(await RawConn.open(t.leafPort));
      await c.waitFor(INFO_LINE);
      expect(infos(c)[0]!.leafnode_urls).toEqual(["lb.example:7422"]);
    });

    test("an older leaf gets the connect_info INFO, then the refusal, and is held 5 s before the close", async () => {
      const c = own(await RawConn.open(t.leafPort));
      await c.waitFor(INFO_LINE);
      const sent = Date.now();
      c.send('CONNECT {"version":"2.7.0","name":"old"}\r\n');
      await c.waitFor(`-ERR 'connection rejected since minimum version required is "2.8.0"'\r\n`);
      expect(infos(c)[1]!.connect_info).toBe(true);
      // Input during the hold is not acted on: no LS- or error comes back for it.
      c.send("LS+ ignored\r\n");
      await c.waitClosed(8000);
      expect(Date.now() - sent).toBeGreaterThanOrEqual(4500);
      expect(c.received).not.toContain("LS+ ignored");
    });
  });
}
