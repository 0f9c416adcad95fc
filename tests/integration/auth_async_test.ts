import { expect, test } from "bun:test";
import bcrypt from "bcryptjs";
import { RawConn, runServer } from "../_helpers/server.ts";

// Slow enough that the fast client's PING is surely answered first, on a loaded machine too.
const COST = 12;

test("a CONNECT waiting for bcrypt holds only its own connection: another client's PING is answered first", async () => {
  const hash = bcrypt.hashSync("slow-pass", COST);
  const srv = await runServer({
    // The check may outlast the 2 s default authorization timeout on a loaded machine; nats-server closes a
    // connection whose CONNECT is still being checked then too, which is not what this test is about.
    authorization: {
      timeout: 60_000,
      users: [{ user: "slow", password: hash }, { user: "fast", password: "fast-pass" }],
    },
  });
  try {
    const fast = await RawConn.open(srv.port);
    await fast.waitFor("INFO ");
    fast.send('CONNECT {"verbose":false,"user":"fast","pass":"fast-pass"}\r\nPING\r\n');
    await fast.waitFor("PONG\r\n");
    fast.clear();

    const slow = await RawConn.open(srv.port);
    await slow.waitFor("INFO ");
    const order: string[] = [];
    // Everything after CONNECT is held until the bcrypt verdict; SUB and PUB must still be applied in order.
    slow.send('CONNECT {"verbose":false,"user":"slow","pass":"slow-pass"}\r\nSUB held 1\r\nPUB held 2\r\nok\r\nPING\r\n');
    const slowDone = slow.waitFor("PONG\r\n", 60000).then(() => order.push("slow"));
    fast.send("PING\r\n");
    await fast.waitFor("PONG\r\n").then(() => order.push("fast"));
    await slowDone;
    expect(order).toEqual(["fast", "slow"]);
    expect(slow.received).toContain("MSG held 1 2\r\nok\r\n");
    slow.close();
    fast.close();
  } finally {
    await srv.close();
  }
}, 90000);

test("a wrong bcrypt password is refused after the asynchronous check, and nothing after CONNECT is processed", async () => {
  const srv = await runServer({ authorization: { users: [{ user: "u", password: bcrypt.hashSync("right", 4) }] } });
  try {
    const c = await RawConn.open(srv.port);
    await c.waitFor("INFO ");
    c.send('CONNECT {"verbose":false,"user":"u","pass":"wrong"}\r\nSUB x 1\r\nPING\r\n');
    await c.waitFor("-ERR 'Authorization Violation'\r\n");
    await c.waitClosed();
    expect(c.received).not.toContain("PONG");
  } finally {
    await srv.close();
  }
});
