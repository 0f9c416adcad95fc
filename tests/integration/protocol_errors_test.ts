// Protocol errors, limits, timers and auth, as nats-server reports them on the wire: the exact -ERR text, and
// whether the connection is closed. Every fatal case also checks that a client connected before the bad one
// keeps working once the bad one is gone. Ported from nats-server test/proto_test.go (TestProtoErr,
// TestPubToArgState, TestSubToArgState, TestControlLineMaximums, TestIncompletePubArg),
// test/pedantic_test.go, test/maxpayload_test.go (TestMaxPayload, TestMaxPayloadOverrun), test/ping_test.go
// (TestPingInterval, TestUnpromptedPong), test/auth_test.go, server/client_test.go
// (TestClientNoResponderSupport, TestClientMaxPending...), against core-protocol.md §1, §4, §5 and §9.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { errors, type NatsConnection } from "@nats-io/transport-node";
import { client, runServer, type RawConn, type TestServer } from "../_helpers/server.ts";
import { count, exchange, infoOf, rawConnect, rawOpen, roundTrip, waitForCount } from "../_helpers/raw.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { expectRoundTrip } from "../_helpers/security.ts";

const own = useCleanup();

/** A raw connection that has sent nothing yet; INFO read and cleared. */
async function silent(srv: TestServer): Promise<RawConn> {
  const c = own(await rawOpen(srv));
  c.clear();
  return c;
}

/** Sends `input` on `c` and expects exactly `wire` back (possibly nothing), then the close. */
async function expectClosedWith(c: RawConn, input: string, wire: string): Promise<void> {
  c.send(input);
  // Under the 5s test limit, so a connection left open fails with what it received rather than a timeout.
  await c.waitClosed(4000);
  expect(c.received).toBe(wire);
}

describe("fatal protocol errors on a default server", () => {
  let srv: TestServer;
  let bystander: NatsConnection;
  beforeAll(async () => {
    srv = await runServer();
    bystander = await client(srv);
  });
  afterAll(async () => {
    await bystander.close();
    await srv.close();
  });

  test.each([
    ["an unknown verb", "ZZZ\r\n"],
    ["a verb with extra letters, PUBS (TestPubToArgState)", "PUBS foo 2\r\nok\r\n"],
    ["a verb with extra letters, SUBZZZ (TestSubToArgState)", "SUBZZZ foo 1\r\n"],
    ["a route verb, RS+", "RS+ $G foo\r\n"],
    ["a leafnode verb, LS+", "LS+ foo\r\n"],
    ["a leafnode message, LMSG", "LMSG foo 2\r\nok\r\n"],
  ])("%s gets -ERR 'Unknown Protocol Operation' and the connection is closed", async (_name, input) => {
    const c = await rawConnect(srv);
    own(c);
    await expectClosedWith(c, input, "-ERR 'Unknown Protocol Operation'\r\n");
    await expectRoundTrip(bystander);
  });

  test.each([
    ["a wrong byte where the CR should be", "PUB foo 2\r\nokX\r\n"],
    ["a wrong byte where the LF should be", "PUB foo 2\r\nok\rX"],
    ["a payload longer than its declared size", "PUB foo 2\r\nokay\r\n"],
  ])("%s after a payload is an Unknown Protocol Operation and closes the connection", async (_name, input) => {
    const c = own(await rawConnect(srv));
    await expectClosedWith(c, input, "-ERR 'Unknown Protocol Operation'\r\n");
    await expectRoundTrip(bystander);
  });

  test("a payload terminator error does not deliver the message", async () => {
    const sub = own(await rawConnect(srv));
    await exchange(sub, "SUB term.bad 1\r\n");
    const c = own(await rawConnect(srv));
    await expectClosedWith(c, "PUB term.bad 2\r\nokX\r\n", "-ERR 'Unknown Protocol Operation'\r\n");
    expect(await exchange(sub, "")).toBe("PONG\r\n");
  });

  test.each([
    ["too many arguments", "PUB foo bar baz qux\r\n"],
    ["a size that is not a number", "PUB foo abc\r\n"],
    ["no size at all", "PUB foo\r\n"],
    ["a negative size", "PUB foo -1\r\n"],
  ])("PUB with %s closes the connection without an -ERR", async (_name, input) => {
    const c = own(await rawConnect(srv));
    await expectClosedWith(c, input, "");
    await expectRoundTrip(bystander);
  });

  test.each([
    ["a header size larger than the total size", "HPUB foo 10 5\r\n"],
    ["a header size that is not a number", "HPUB foo abc 5\r\n"],
    ["too few arguments", "HPUB foo 5\r\n"],
    ["too many arguments", "HPUB foo r x 1 5\r\n"],
  ])("HPUB with %s closes the connection without an -ERR", async (_name, input) => {
    const c = own(await rawConnect(srv, { headers: true }));
    await expectClosedWith(c, input, "");
    await expectRoundTrip(bystander);
  });

  test("HPUB from a connection that did not negotiate headers closes it and delivers nothing", async () => {
    // nats-server processHeaderPub: `if !c.headers { return ErrMsgHeadersNotSupported }` closes the
    // connection as a protocol violation, with no -ERR.
    const sub = own(await rawConnect(srv, { headers: true }));
    await exchange(sub, "SUB nohdr.foo 1\r\n");
    const c = own(await rawConnect(srv, { headers: false }));
    await expectClosedWith(c, "HPUB nohdr.foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n", "");
    expect(await exchange(sub, "")).toBe("PONG\r\n");
    await expectRoundTrip(bystander);
  });

  test("SUB with too many arguments closes the connection without an -ERR", async () => {
    const c = own(await rawConnect(srv));
    await expectClosedWith(c, "SUB foo q 1 extra\r\n", "");
    await expectRoundTrip(bystander);
  });

  test("a control line longer than max_control_line, split across writes, gets -ERR and is closed", async () => {
    const c = own(await rawConnect(srv));
    const pacer = own(await rawConnect(srv));
    // 4096 is the default limit; the line never ends, so the server must stop buffering it.
    for (let i = 0; i < 3; i++) {
      c.send(i === 0 ? "SUB " + "a".repeat(1996) : "a".repeat(2000));
      await exchange(pacer, "");
    }
    await c.waitClosed();
    expect(c.received).toBe("-ERR 'maximum control line exceeded'\r\n");
    await expectRoundTrip(bystander);
  });

  test("a PUB control line over the limit (TestControlLineMaximums) gets the same -ERR", async () => {
    const c = own(await rawConnect(srv));
    const pacer = own(await rawConnect(srv));
    c.send("PUB foo ");
    await exchange(pacer, "");
    c.send("2222222222".repeat(500));
    await c.waitClosed();
    expect(c.received).toBe("-ERR 'maximum control line exceeded'\r\n");
    await expectRoundTrip(bystander);
  });

  test("a long control line under the limit, split across writes, is accepted", async () => {
    const c = own(await rawConnect(srv));
    const pacer = own(await rawConnect(srv));
    const subject = "long." + "s".repeat(3900);
    const line = `SUB ${subject} 1\r\n`;
    for (let i = 0; i < line.length; i += 1000) {
      c.send(line.slice(i, i + 1000));
      await exchange(pacer, "");
    }
    expect(await exchange(c, `PUB ${subject} 2\r\nok\r\n`)).toBe(`MSG ${subject} 1 2\r\nok\r\nPONG\r\n`);
  });

  test("CONNECT with protocol 2 gets -ERR 'invalid client protocol' and is closed", async () => {
    const c = await silent(srv);
    await expectClosedWith(c, 'CONNECT {"verbose":false,"protocol":2}\r\n', "-ERR 'invalid client protocol'\r\n");
    await expectRoundTrip(bystander);
  });

  test("CONNECT with a negative protocol gets -ERR 'invalid client protocol' and is closed", async () => {
    const c = await silent(srv);
    await expectClosedWith(c, 'CONNECT {"verbose":false,"protocol":-1}\r\n', "-ERR 'invalid client protocol'\r\n");
    await expectRoundTrip(bystander);
  });

  test("CONNECT with protocol 0 and 1 is accepted", async () => {
    for (const protocol of [0, 1]) {
      const c = await silent(srv);
      expect(await exchange(c, `CONNECT {"verbose":false,"protocol":${protocol}}\r\n`)).toBe("PONG\r\n");
    }
  });

  test("no_responders without headers gets -ERR 'no responders requires headers support' and is closed", async () => {
    const c = await silent(srv);
    await expectClosedWith(c, 'CONNECT {"verbose":false,"no_responders":true}\r\n', "-ERR 'no responders requires headers support'\r\n");
    await expectRoundTrip(bystander);
  });

  test("no_responders with headers:false gets the same -ERR and is closed", async () => {
    const c = await silent(srv);
    await expectClosedWith(
      c,
      'CONNECT {"verbose":false,"no_responders":true,"headers":false}\r\n',
      "-ERR 'no responders requires headers support'\r\n",
    );
    await expectRoundTrip(bystander);
  });

  test("CONNECT with malformed JSON closes the connection without an -ERR", async () => {
    const c = await silent(srv);
    await expectClosedWith(c, 'CONNECT {"verbose":false,\r\n', "");
    await expectRoundTrip(bystander);
  });

  test("a client that sends -ERR is disconnected", async () => {
    const c = own(await rawConnect(srv));
    await expectClosedWith(c, "-ERR 'client side trouble'\r\n", "");
    await expectRoundTrip(bystander);
  });
});

describe("non-fatal errors", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await runServer();
  });
  afterAll(async () => {
    await srv.close();
  });

  test("SUB with an invalid subject gets -ERR 'Invalid Subject' and the connection stays open (TestPedanticSub)", async () => {
    const c = own(await rawConnect(srv));
    const bad = ["foo..bar", "foo.>.bar", "foo.", ".foo", ">.foo"];
    const out = await exchange(c, bad.map((s, i) => `SUB ${s} ${i + 1}\r\n`).join(""));
    expect(out).toBe("-ERR 'Invalid Subject'\r\n".repeat(bad.length) + "PONG\r\n");
    expect(c.closed).toBe(false);
    // The failed SUB did not keep its sid.
    expect(await exchange(c, "SUB ok.subject 1\r\nPUB ok.subject 2\r\nok\r\n")).toBe("MSG ok.subject 1 2\r\nok\r\nPONG\r\n");
  });

  test("in verbose mode a rejected SUB gets the -ERR and no +OK", async () => {
    const c = await silent(srv);
    expect(await exchange(c, "SUB foo..bar 1\r\n")).toBe("-ERR 'Invalid Subject'\r\nPONG\r\n");
  });

  test.each(["pedantic.*", "pedantic.>", "pedantic.", ".pedantic", "pedantic..*"])(
    "pedantic PUB to %p gets -ERR 'Invalid Publish Subject' and the connection stays open",
    async (subject) => {
      const c = own(await rawConnect(srv, { pedantic: true }));
      expect(await exchange(c, `PUB ${subject} 2\r\nok\r\n`)).toBe("-ERR 'Invalid Publish Subject'\r\nPONG\r\n");
      expect(c.closed).toBe(false);
    },
  );

  test("a pedantic PUB to a wildcard subject is still routed after the -ERR", async () => {
    const c = own(await rawConnect(srv, { pedantic: true }));
    expect(await exchange(c, "SUB pw.> 1\r\nPUB pw.* 2\r\nok\r\n")).toBe("-ERR 'Invalid Publish Subject'\r\nMSG pw.* 1 2\r\nok\r\nPONG\r\n");
  });

  test("without pedantic a PUB to a wildcard subject is accepted silently", async () => {
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "SUB np.> 1\r\nPUB np.* 2\r\nok\r\n")).toBe("MSG np.* 1 2\r\nok\r\nPONG\r\n");
  });
});

describe("max_payload", () => {
  let srv: TestServer;
  let bystander: NatsConnection;
  beforeAll(async () => {
    srv = await runServer({ max_payload: 1024 });
    bystander = await client(srv);
  });
  afterAll(async () => {
    await bystander.close();
    await srv.close();
  });

  test("INFO advertises the configured max_payload", async () => {
    const c = own(await rawOpen(srv));
    expect(infoOf(c).max_payload).toBe(1024);
    expect(bystander.info?.max_payload).toBe(1024);
  });

  test("a payload of exactly max_payload is accepted", async () => {
    const c = own(await rawConnect(srv));
    const p = "x".repeat(1024);
    expect(await exchange(c, `SUB mp.ok 1\r\nPUB mp.ok 1024\r\n${p}\r\n`)).toBe(`MSG mp.ok 1 1024\r\n${p}\r\nPONG\r\n`);
  });

  test("PUB over max_payload gets -ERR 'Maximum Payload Violation' and is closed before the payload is read", async () => {
    const c = own(await rawConnect(srv));
    await expectClosedWith(c, "PUB foo 1025\r\n", "-ERR 'Maximum Payload Violation'\r\n");
    await expectRoundTrip(bystander);
  });

  test("HPUB whose total size is over max_payload gets the same -ERR and is closed", async () => {
    const c = own(await rawConnect(srv, { headers: true }));
    await expectClosedWith(c, "HPUB foo 12 1025\r\n", "-ERR 'Maximum Payload Violation'\r\n");
    await expectRoundTrip(bystander);
  });

  test("a size far over the limit that still parses is a payload violation (TestMaxPayloadOverrun)", async () => {
    const c = own(await rawConnect(srv));
    await expectClosedWith(c, "PUB foo 199380988\r\n", "-ERR 'Maximum Payload Violation'\r\n");
    await expectRoundTrip(bystander);
  });

  test("a size too long to parse closes the connection without an -ERR (TestMaxPayloadOverrun)", async () => {
    const c = own(await rawConnect(srv));
    await expectClosedWith(c, "PUB foo 18446744073709551615123\r\n", "");
    await expectRoundTrip(bystander);
  });

  test("the real client refuses to publish over the advertised max_payload", async () => {
    expect(() => bystander.publish("mp.big", new Uint8Array(1025))).toThrow("max_payload size exceeded");
    await expectRoundTrip(bystander);
  });
});

describe("max_connections", () => {
  test("a connection over max_connections gets INFO then -ERR 'maximum connections exceeded' and is closed", async () => {
    const srv = own(await runServer({ max_connections: 1 }));
    const first = own(await client(srv));
    const c = own(await rawOpen(srv));
    await c.waitClosed();
    expect(c.received).toMatch(/^INFO \{[^\r\n]*\} ?\r\n-ERR 'maximum connections exceeded'\r\n$/);
    await expectRoundTrip(first);
  });
});

describe("max_subscriptions", () => {
  test("a SUB over max_subscriptions gets -ERR 'maximum subscriptions exceeded' and the connection stays open", async () => {
    const srv = own(await runServer({ max_subscriptions: 2 }));
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "SUB ms.a 1\r\nSUB ms.b 2\r\nSUB ms.c 3\r\n")).toBe("-ERR 'maximum subscriptions exceeded'\r\nPONG\r\n");
    // The refused subscription does not exist; the others do.
    expect(await exchange(c, "PUB ms.c 1\r\nc\r\nPUB ms.a 1\r\na\r\n")).toBe("MSG ms.a 1 1\r\na\r\nPONG\r\n");
    // The limit is on live subscriptions: after an UNSUB there is room again.
    expect(await exchange(c, "UNSUB 1\r\nSUB ms.c 3\r\nPUB ms.c 1\r\nc\r\n")).toBe("MSG ms.c 3 1\r\nc\r\nPONG\r\n");
  });
});

describe("stale connections", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await runServer({ ping_interval: 100, ping_max: 2 });
  });
  afterAll(async () => {
    await srv.close();
  });

  test("a client that never answers PING gets ping_max PINGs, then -ERR 'Stale Connection', and is closed", async () => {
    const bystander = own(await client(srv));
    const c = own(await rawOpen(srv));
    c.send('CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n');
    await c.waitClosed();
    // The server's PINGs may come before or after the PONG for our PING; the order among them is fixed.
    const afterInfo = c.received.replace(/^INFO [^\r\n]*\r\n/, "");
    expect(count(afterInfo, "PONG\r\n")).toBe(1);
    expect(afterInfo.replace("PONG\r\n", "")).toBe("PING\r\nPING\r\n-ERR 'Stale Connection'\r\n");
    await expectRoundTrip(bystander);
  });

  test("a client that answers every PING with PONG stays connected past ping_max intervals", async () => {
    const c = own(await rawOpen(srv));
    c.send('CONNECT {"verbose":false,"pedantic":false}\r\n');
    for (let n = 1; n <= 5; n++) {
      await waitForCount(c, "PING\r\n", n);
      c.send("PONG\r\n");
    }
    await roundTrip(c);
    expect(c.closed).toBe(false);
    expect(c.received).not.toContain("-ERR");
  });

  test("the real client answers the server's PINGs and outlives a stale raw connection", async () => {
    const nc = own(await client(srv));
    const stale = own(await rawConnect(srv));
    await stale.waitClosed();
    expect(stale.received).toContain("-ERR 'Stale Connection'\r\n");
    await expectRoundTrip(nc);
  });
});

describe("user and password authorization", () => {
  let srv: TestServer;
  let bystander: NatsConnection;
  beforeAll(async () => {
    srv = await runServer({ authorization: { user: "derek", password: "s3cr3t", timeout: 500 } });
    bystander = await client(srv, { user: "derek", pass: "s3cr3t" });
  });
  afterAll(async () => {
    await bystander.close();
    await srv.close();
  });

  test("INFO says auth_required", async () => {
    const c = own(await rawOpen(srv));
    expect(infoOf(c).auth_required).toBe(true);
  });

  test("the right user and password connect", async () => {
    const c = await silent(srv);
    expect(await exchange(c, 'CONNECT {"verbose":false,"user":"derek","pass":"s3cr3t"}\r\n')).toBe("PONG\r\n");
    const nc = own(await client(srv, { user: "derek", pass: "s3cr3t" }));
    await expectRoundTrip(nc);
  });

  test("a wrong password gets -ERR 'Authorization Violation' and is closed", async () => {
    const c = await silent(srv);
    await expectClosedWith(c, 'CONNECT {"verbose":false,"user":"derek","pass":"wrong"}\r\n', "-ERR 'Authorization Violation'\r\n");
    await expectRoundTrip(bystander);
  });

  test("a wrong user gets -ERR 'Authorization Violation' and is closed", async () => {
    const c = await silent(srv);
    await expectClosedWith(c, 'CONNECT {"verbose":false,"user":"alice","pass":"s3cr3t"}\r\n', "-ERR 'Authorization Violation'\r\n");
    await expectRoundTrip(bystander);
  });

  test("CONNECT without credentials gets -ERR 'Authorization Violation' and is closed", async () => {
    const c = await silent(srv);
    await expectClosedWith(c, 'CONNECT {"verbose":false}\r\n', "-ERR 'Authorization Violation'\r\n");
    await expectRoundTrip(bystander);
  });

  test("the real client with a wrong password is refused with an AuthorizationError", async () => {
    const err = await client(srv, { user: "derek", pass: "wrong" }).then(
      (nc) => {
        own(nc);
        return null;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(errors.AuthorizationError);
    await expectRoundTrip(bystander);
  });

  test.each([
    ["PING", "PING\r\n"],
    ["SUB", "SUB foo 1\r\n"],
    ["PUB", "PUB foo 2\r\nok\r\n"],
  ])("%s before CONNECT gets -ERR 'Authorization Violation' and is closed", async (_name, input) => {
    const c = await silent(srv);
    await expectClosedWith(c, input, "-ERR 'Authorization Violation'\r\n");
    await expectRoundTrip(bystander);
  });

  test("credentials are checked before the protocol version: wrong password with protocol 2 is an Authorization Violation", async () => {
    const c = await silent(srv);
    await expectClosedWith(
      c,
      'CONNECT {"verbose":false,"user":"derek","pass":"wrong","protocol":2}\r\n',
      "-ERR 'Authorization Violation'\r\n",
    );
    await expectRoundTrip(bystander);
  });

  test("no CONNECT within the authorization timeout gets -ERR 'Authentication Timeout' and is closed", async () => {
    const early = own(await client(srv, { user: "derek", pass: "s3cr3t" }));
    const c = await silent(srv);
    await c.waitClosed();
    expect(c.received).toBe("-ERR 'Authentication Timeout'\r\n");
    // A client that authenticated in time was not caught by its own timer, which expired before this one's.
    await expectRoundTrip(early);
    await expectRoundTrip(bystander);
  });
});

describe("token authorization", () => {
  let srv: TestServer;
  let bystander: NatsConnection;
  beforeAll(async () => {
    srv = await runServer({ authorization: { token: "t0k3n" } });
    bystander = await client(srv, { token: "t0k3n" });
  });
  afterAll(async () => {
    await bystander.close();
    await srv.close();
  });

  test("the right token connects, raw and with the real client", async () => {
    const c = await silent(srv);
    expect(await exchange(c, 'CONNECT {"verbose":false,"auth_token":"t0k3n"}\r\n')).toBe("PONG\r\n");
    await expectRoundTrip(bystander);
  });

  test("a wrong token gets -ERR 'Authorization Violation' and is closed", async () => {
    const c = await silent(srv);
    await expectClosedWith(c, 'CONNECT {"verbose":false,"auth_token":"nope"}\r\n', "-ERR 'Authorization Violation'\r\n");
    await expectRoundTrip(bystander);
  });

  test("user and password instead of the token get -ERR 'Authorization Violation'", async () => {
    const c = await silent(srv);
    await expectClosedWith(c, 'CONNECT {"verbose":false,"user":"t0k3n","pass":"t0k3n"}\r\n', "-ERR 'Authorization Violation'\r\n");
    await expectRoundTrip(bystander);
  });

  test("the real client with a wrong token is refused with an AuthorizationError", async () => {
    const err = await client(srv, { token: "nope" }).then(
      (nc) => {
        own(nc);
        return null;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(errors.AuthorizationError);
  });
});

describe("slow consumers", () => {
  // 64 KiB messages; nats-server refuses to start with max_payload above max_pending, so lower both.
  const payload = new Uint8Array(64 * 1024).fill(120);

  test("a server whose max_payload is above max_pending refuses to start", async () => {
    // nats-server validateOptions: "max_payload (1048576) cannot be higher than max_pending (262144)".
    const started = await runServer({ max_pending: 256 * 1024 }).then(
      (srv) => own(srv) && null,
      (e: unknown) => e,
    );
    expect(String(started)).toContain("max_payload (1048576) cannot be higher than max_pending (262144)");
  });

  /**
   * Publishes 1 MiB at a time (16 x 64 KiB, then a flush) until the server logs a slow consumer; kernel
   * socket buffers absorb a few MB first. Returns how many messages were published.
   */
  async function publishUntilSlowConsumer(srv: TestServer, pub: NatsConnection, subject: string): Promise<number> {
    let published = 0;
    while (!srv.logs.some((l) => l.includes("Slow Consumer Detected"))) {
      if (published >= 1024) throw new Error(`no slow consumer after ${published} x 64 KiB; logs:\n${srv.logs.join("\n")}`);
      for (let i = 0; i < 16; i++) pub.publish(subject, payload);
      published += 16;
      await pub.flush();
    }
    return published;
  }

  test("a subscriber that stops reading is disconnected as a slow consumer; the publisher and other clients keep working", async () => {
    const srv = own(await runServer({ max_pending: 256 * 1024, max_payload: 64 * 1024 }));
    const bystander = own(await client(srv));
    const slow = own(await rawConnect(srv));
    await exchange(slow, "SUB sc.data 1\r\n");
    const pub = own(await client(srv));

    slow.pause();
    await publishUntilSlowConsumer(srv, pub, "sc.data");
    const lines = srv.logs.filter((l) => l.includes("Slow Consumer Detected"));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Slow Consumer Detected: MaxPending of 262144 Exceeded$/);

    slow.resume();
    await slow.waitClosed();
    // nats-server does not send an -ERR to a slow consumer; it just closes the connection.
    expect(slow.received).not.toContain("-ERR");
    await expectRoundTrip(pub);
    await expectRoundTrip(bystander);
  }, 60000);

  test("a subscriber that keeps reading gets every message while another one on the subject is cut off as slow", async () => {
    const srv = own(await runServer({ max_pending: 256 * 1024, max_payload: 64 * 1024 }));
    const slow = own(await rawConnect(srv));
    await exchange(slow, "SUB sc.shared 1\r\n");
    const fast = own(await client(srv));
    let fastGot = 0;
    fast.subscribe("sc.shared", {
      callback: () => {
        fastGot++;
      },
    });
    await fast.flush();
    const pub = own(await client(srv));

    slow.pause();
    const published = await publishUntilSlowConsumer(srv, pub, "sc.shared");
    slow.resume();
    await slow.waitClosed();
    // Only the subscriber that stopped reading was cut off.
    expect(srv.logs.filter((l) => l.includes("Slow Consumer Detected"))).toHaveLength(1);
    expect(fast.isClosed()).toBe(false);
    await fast.flush();
    expect(fastGot).toBe(published);
    await expectRoundTrip(fast);
  }, 60000);
});
