/**
 * The monitoring endpoints over real HTTP: every endpoint and the query parameters that matter, headers,
 * errors, http_base_path, HTTPS, and /healthz failing when the client listener is down.
 */
import { describe, expect, test } from "bun:test";
import { RawConn, runServer, type TestServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { pem, testCerts } from "../_helpers/certs.ts";
import { get as httpsGet } from "node:https";
import { sleep } from "../_helpers/spawn.ts";

const own = useCleanup();

async function monitored(opts: Parameters<typeof runServer>[0] = {}): Promise<{ srv: TestServer; base: string }> {
  const srv = own(await runServer({ http_port: -1, ...opts }));
  return { srv, base: `http://127.0.0.1:${srv.server.lifecycle.httpPort}` };
}

async function json(url: string): Promise<Record<string, any>> {
  const r = await fetch(url);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("application/json");
  return (await r.json()) as Record<string, any>;
}

async function client(srv: TestServer, name: string, ops = ""): Promise<RawConn> {
  const c = own(await RawConn.open(srv.port));
  await c.waitFor("INFO ");
  c.send(`CONNECT {"verbose":false,"protocol":1,"name":"${name}","lang":"raw","version":"1.0"}\r\n${ops}`);
  await c.sync();
  return c;
}

describe("monitoring endpoints", () => {
  test("headers, index page, 404, varz counters", async () => {
    const { srv, base } = await monitored();
    const r = await fetch(`${base}/varz`);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect((await fetch(`${base}/`)).headers.get("content-type")).toContain("text/html");
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const a = await client(srv, "a", "SUB foo 1\r\n");
    const b = await client(srv, "b", "PUB foo 5\r\nhello\r\n");
    await a.waitFor("MSG foo 1 5");
    const v = await json(`${base}/varz`);
    expect(v.connections).toBe(2);
    expect(v.total_connections).toBe(2);
    expect(v.in_msgs).toBe(1);
    expect(v.out_msgs).toBe(1);
    expect(v.in_bytes).toBe(5);
    expect(v.subscriptions).toBe(1);
    expect(v.ping_interval).toBe(120_000_000_000);
    expect(v.write_deadline).toBe(10_000_000_000);
    expect(v.http_port).toBe(srv.server.lifecycle.httpPort);
    expect(v.http_req_stats["/varz"]).toBe(2);
    expect(Number.isNaN(Date.parse(v.start))).toBe(false);
    // Totals do not go backwards when a connection closes.
    b.close();
    await a.sync();
    await waitUntil(() => srv.server.clients.size === 1);
    expect((await json(`${base}/varz`)).in_msgs).toBe(1);
  });

  test("connz: sort, limit, offset, cid, subs, auth, state", async () => {
    const { srv, base } = await monitored({ max_closed_clients: 2 });
    await client(srv, "one", "SUB a 1\r\n");
    await client(srv, "two", "SUB b 1\r\nSUB c 2\r\nPUB a 2\r\nhi\r\n");
    const three = await client(srv, "three", "SUB d.* q 9\r\n");
    let z = await json(`${base}/connz`);
    expect(z.num_connections).toBe(3);
    expect(z.limit).toBe(1024);
    expect(z.connections.map((c: any) => c.cid)).toEqual([1, 2, 3]);
    expect(z.connections[0]).toMatchObject({ kind: "Client", type: "nats", ip: "127.0.0.1", name: "one", lang: "raw", version: "1.0" });
    expect(typeof z.connections[0].port).toBe("number");
    expect(z.connections[0].subscriptions_list).toBeUndefined();

    z = await json(`${base}/connz?sort=subs&limit=1`);
    expect(z.connections.map((c: any) => c.name)).toEqual(["two"]);
    expect(z).toMatchObject({ total: 3, limit: 1, num_connections: 1 });
    z = await json(`${base}/connz?sort=msgs_from&offset=1&limit=5`);
    expect(z.connections.length).toBe(2);
    expect(z.offset).toBe(1);
    z = await json(`${base}/connz?cid=2&subs=1`);
    expect(z.limit).toBe(1);
    expect(z.connections[0].subscriptions_list.sort()).toEqual(["b", "c"]);
    z = await json(`${base}/connz?cid=3&subs=detail`);
    expect(z.connections[0].subscriptions_list_detail).toEqual([{ subject: "d.*", qgroup: "q", sid: "9", msgs: 0, cid: 3 }]);

    three.close();
    await waitUntil(() => srv.server.clients.size === 2);
    z = await json(`${base}/connz?state=closed`);
    expect(z.connections.map((c: any) => [c.cid, c.reason])).toEqual([[3, "Client Closed"]]);
    expect(typeof z.connections[0].stop).toBe("string");
    expect((await json(`${base}/connz?state=any`)).total).toBe(3);
    expect((await json(`${base}/connz?state=closed&sort=stop`)).total).toBe(1);
    // max_closed_clients bounds the ring: the oldest closed connections are forgotten.
    for (const n of ["x", "y"]) {
      (await client(srv, n)).close();
    }
    await waitUntil(() => srv.server.clients.size === 2);
    z = await json(`${base}/connz?state=closed`);
    expect(z.connections.map((c: any) => c.name)).toEqual(["x", "y"]);
  });

  test("connz: auth shows the authorized user", async () => {
    const { srv, base } = await monitored({ authorization: { users: [{ user: "ann", password: "pw" }] } });
    const c = own(await RawConn.open(srv.port));
    await c.waitFor("INFO ");
    c.send(`CONNECT {"verbose":false,"user":"ann","pass":"pw"}\r\n`);
    await c.sync();
    expect((await json(`${base}/connz`)).connections[0].authorized_user).toBeUndefined();
    expect((await json(`${base}/connz?auth=true`)).connections[0].authorized_user).toBe("ann");
    expect((await json(`${base}/connz?auth=true&user=bob`)).total).toBe(0);
    expect((await json(`${base}/varz`)).auth_required).toBe(true);
  });

  test("bad query parameters are 400s with nats-server's texts", async () => {
    const { base } = await monitored();
    const cases: [string, string][] = [
      ["/connz?sort=bogus", "invalid sorting option: bogus"],
      ["/connz?sort=stop", "sort by stop only valid on closed connections"],
      ["/connz?state=bogus", "Error decoding state for bogus"],
      ["/connz?limit=x", `Error decoding int for 'limit': strconv.Atoi: parsing "x": invalid syntax`],
      ["/subsz?test=foo.*", "invalid test subject, must be valid publish subject: foo.*"],
      ["/healthz?js-enabled-only=maybe", `Error decoding boolean for 'js-enabled-only': strconv.ParseBool: parsing "maybe": invalid syntax`],
      ["/accountz?acc=nope", "Account nope does not exist"],
    ];
    for (const [path, text] of cases) {
      const r = await fetch(base + path);
      expect([path, r.status, await r.text()]).toEqual([path, 400, text]);
    }
  });

  test("subsz: stats, subs list, test subject, paging", async () => {
    const { srv, base } = await monitored();
    await client(srv, "s", "SUB foo.* 1\r\nSUB foo.bar q 2\r\nSUB baz 3\r\nPUB foo.bar 0\r\n\r\n");
    const stats = await json(`${base}/subsz`);
    expect(stats.num_subscriptions).toBe(3);
    expect(stats.server_id).toBeUndefined();
    let z = await json(`${base}/subsz?subs=1`);
    expect(z.total).toBe(3);
    expect(z.subscriptions_list.length).toBe(3);
    z = await json(`${base}/subsz?subs=1&test=foo.bar`);
    expect(z.subscriptions_list.map((s: any) => s.sid).sort()).toEqual(["1", "2"]);
    expect(z.subscriptions_list.find((s: any) => s.sid === "2")).toEqual({ account: "$G", subject: "foo.bar", qgroup: "q", sid: "2", msgs: 1, cid: 1 });
    z = await json(`${base}/subscriptionsz?subs=1&offset=1&limit=1`);
    expect(z).toMatchObject({ total: 3, offset: 1, limit: 1 });
    expect(z.subscriptions_list.length).toBe(1);
  });

  test("jsz, routez, leafz, accountz without JetStream, routes or leaf nodes", async () => {
    const { srv, base } = await monitored();
    await client(srv, "c", "SUB x 1\r\n");
    expect(await json(`${base}/jsz?streams=true&consumers=true&config=true`)).toMatchObject({ disabled: true, streams: 0, api: { total: 0, errors: 0 } });
    expect(await json(`${base}/routez`)).toMatchObject({ num_routes: 0, routes: [] });
    expect(await json(`${base}/leafz`)).toMatchObject({ leafnodes: 0, leafs: [] });
    expect((await json(`${base}/accountz`)).accounts).toEqual(["$G", "$SYS"]);
    expect((await json(`${base}/accountz?acc=$G`)).account_detail).toMatchObject({ account_name: "$G", client_connections: 1, subscriptions: 1 });
  });

  test("healthz: ok, js-enabled-only without JetStream, 503 when the listener is down, extension checks", async () => {
    const { srv, base } = await monitored();
    for (const q of ["", "?js-enabled-only=true", "?js-server-only=true"]) {
      const r = await fetch(`${base}/healthz${q}`);
      expect([r.status, await r.text()]).toEqual([200, `{"status":"ok"}`]);
    }
    const check = { health: (): string | null => "store: cannot read /data", stop: async () => {} };
    srv.server.services.add("store-check", check);
    let r = await fetch(`${base}/healthz`);
    expect([r.status, await r.json()]).toEqual([503, { status: "unavailable", error: "store: cannot read /data" }]);
    check.health = () => null;
    await srv.server.stopAccepting();
    r = await fetch(`${base}/healthz`);
    expect([r.status, await r.json()]).toEqual([503, { status: "error", error: "failed to be ready for connections after 1ms: server" }]);
    expect(srv.logs.some((l) => l.includes(`[WRN] Healthcheck failed: "failed to be ready for connections after 1ms: server"`))).toBe(true);
  });

  test("http_base_path prefixes every endpoint", async () => {
    const { base } = await monitored({ http_base_path: "/mon/" });
    expect((await fetch(`${base}/varz`)).status).toBe(404);
    expect((await json(`${base}/mon/varz`)).http_base_path).toBe("/mon/");
    expect((await fetch(`${base}/mon`)).status).toBe(200);
    expect((await fetch(`${base}/mon/healthz`)).status).toBe(200);
  });

  test("https_port serves with the tls block's certificate", async () => {
    const certs = testCerts();
    const srv = own(await runServer({ https_port: -1, tls: { cert_file: certs.server.cert, key_file: certs.server.key } }));
    const port = srv.server.lifecycle.httpsPort;
    const v = await httpsJson(`https://127.0.0.1:${port}/varz`, pem(certs.ca));
    expect(v.https_port).toBe(port);
    expect(v.tls_required).toBe(true);
  });
});

/** GET over node:https trusting `ca` (Bun's and Deno's fetch spell custom trust differently). */
function httpsJson(url: string, ca: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body) as Record<string, unknown>);
        } catch (e) {
          reject(e);
        }
      });
    }).on("error", reject);
  });
}

async function waitUntil(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met");
    await sleep(5);
  }
}
