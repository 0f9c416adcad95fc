import { expect, test } from "bun:test";
import { RawConn, runServer } from "../_helpers/server.ts";
import { reloadOptions } from "../../src/server/reload.ts";
import { sleep } from "../_helpers/spawn.ts";

test("a reload that adds a subscribe deny filters an existing wildcard subscription at delivery", async () => {
  const users = (deny: string[]) => [{ user: "a", password: "pa", permissions: { subscribe: { allow: [">"], deny } } }];
  const srv = await runServer({ authorization: { users: users([]) } });
  try {
    const sub = await RawConn.open(srv.port);
    sub.send('CONNECT {"verbose":false,"user":"a","pass":"pa"}\r\nSUB orders.* 1\r\n');
    await sub.sync();
    const pub = await RawConn.open(srv.port);
    pub.send('CONNECT {"verbose":false,"user":"a","pass":"pa"}\r\nPUB orders.secret 3\r\none\r\n');
    await pub.sync();
    await sub.waitFor("MSG orders.secret 1 3\r\none\r\n");

    await reloadOptions(srv.server, { ...srv.server.options, authorization: { users: users(["orders.secret"]) } });
    sub.clear();
    pub.send("PUB orders.secret 3\r\ntwo\r\nPUB orders.public 5\r\nthree\r\n");
    await pub.sync();
    await sub.waitFor("MSG orders.public 1 5\r\nthree\r\n");
    expect(sub.received).not.toContain("orders.secret");
    sub.close();
    pub.close();
  } finally {
    await srv.close();
  }
});

test("/connz?state=closed lists the subscriptions a closed connection had", async () => {
  const srv = await runServer({ http_port: -1, http_host: "127.0.0.1" });
  try {
    const c = await RawConn.open(srv.port);
    c.send('CONNECT {"verbose":false,"name":"leaver"}\r\nSUB a.b 1\r\nSUB c.> 2\r\n');
    await c.sync();
    c.close();
    await c.waitClosed();
    const port = srv.server.lifecycle.httpPort;
    type ConnInfo = { name?: string; subscriptions: number; subscriptions_list?: string[] };
    let conn: ConnInfo | undefined;
    for (let i = 0; i < 200 && conn === undefined; i++) {
      const body = (await (await fetch(`http://127.0.0.1:${port}/connz?state=closed&subs=1`)).json()) as { connections: ConnInfo[] };
      conn = body.connections.find((x) => x.name === "leaver");
      if (conn === undefined) await sleep(10);
    }
    expect(conn?.subscriptions).toBe(2);
    expect([...(conn?.subscriptions_list ?? [])].sort()).toEqual(["a.b", "c.>"]);
  } finally {
    await srv.close();
  }
});
