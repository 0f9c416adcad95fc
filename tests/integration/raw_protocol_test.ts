// The client protocol byte for byte, over raw TCP: what nats-server writes for each thing a client sends.
// Ported from nats-server test/proto_test.go (TestProtoBasics, TestUnsubMax, TestQueueSub,
// TestMultipleQueueSub, TestDuplicateProtoSub), test/verbose_test.go, test/ping_test.go (TestUnpromptedPong),
// server/client_test.go (TestClientCreateAndInfo, TestClientNoResponderSupport, header stripping) and
// server/split_test.go (frames split across reads), against the wire rules in core-protocol.md.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runServer, type TestServer } from "../_helpers/server.ts";
import { count, exchange, infoOf, parseMsgs, patternPayload, rawConnect, rawOpen, roundTrip, waitForCount } from "../_helpers/raw.ts";
import type { RawConn } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";

const own = useCleanup();

let srv: TestServer;
beforeAll(async () => {
  srv = await runServer();
});
afterAll(async () => {
  await srv.close();
});

/** A raw connection without CONNECT (telnet-style), INFO already read and cleared. */
async function telnet(): Promise<RawConn> {
  const c = own(await rawOpen(srv));
  c.clear();
  return c;
}

describe("INFO", () => {
  test("the server sends INFO first: INFO, one compact JSON object, a space and CRLF, as nats-server does", async () => {
    const c = own(await rawOpen(srv));
    const end = c.received.indexOf("\r\n") + 2;
    const line = c.received.slice(0, end);
    // nats-server: bytes.Join([]byte("INFO"), json, CR_LF) with " " (generateClientInfoJSON), so a space
    // precedes the CRLF.
    expect(line).toMatch(/^INFO \{.*\} \r\n$/);
    const json = line.slice(5, -3);
    expect(JSON.stringify(JSON.parse(json))).toBe(json);
    // Nothing else is written until the client speaks.
    expect(c.received).toBe(line);
  });

  test("INFO carries server_id, version, proto, headers, max_payload, client_id, client_ip, host and port", async () => {
    const c = own(await rawOpen(srv));
    const info = infoOf(c);
    // An nkey server public key: 'N' then 55 base32 characters.
    expect(info.server_id).toMatch(/^N[A-Z2-7]{55}$/);
    expect(info.version).toMatch(/^2\.\d+\.\d+$/);
    expect(info.proto).toBe(1);
    expect(info.headers).toBe(true);
    expect(info.max_payload).toBe(1048576);
    expect(Number.isInteger(info.client_id)).toBe(true);
    expect(info.client_id as number).toBeGreaterThan(0);
    expect(info.client_ip).toBe("127.0.0.1");
    expect(info.host).toBe("127.0.0.1");
    expect(info.port).toBe(srv.port);
    // Omitted (omitempty) when no auth or TLS is configured.
    expect(info.auth_required).toBeUndefined();
    expect(info.tls_required).toBeUndefined();
  });

  test("each connection gets a new, larger client_id and the same server_id", async () => {
    const a = own(await rawOpen(srv));
    const b = own(await rawOpen(srv));
    const ia = infoOf(a);
    const ib = infoOf(b);
    expect(ib.server_id).toBe(ia.server_id);
    expect(ib.client_id as number).toBeGreaterThan(ia.client_id as number);
  });
});

describe("telnet-style use and verbose", () => {
  test("without CONNECT the defaults are verbose and pedantic: +OK after SUB, PUB and UNSUB", async () => {
    const c = await telnet();
    expect(await exchange(c, "SUB tel.foo 1\r\n")).toBe("+OK\r\nPONG\r\n");
    // +OK for the PUB is queued before the message is routed back to this same connection.
    expect(await exchange(c, "PUB tel.foo 5\r\nhello\r\n")).toBe("+OK\r\nMSG tel.foo 1 5\r\nhello\r\nPONG\r\n");
    expect(await exchange(c, "UNSUB 1\r\n")).toBe("+OK\r\nPONG\r\n");
    expect(await exchange(c, "PUB tel.foo 5\r\nhello\r\n")).toBe("+OK\r\nPONG\r\n");
  });

  test("without CONNECT a PUB to a wildcard subject gets the pedantic -ERR", async () => {
    const c = await telnet();
    expect(await exchange(c, "PUB tel.* 2\r\nok\r\n")).toBe("-ERR 'Invalid Publish Subject'\r\n+OK\r\nPONG\r\n");
  });

  test("CONNECT with verbose true is itself answered with +OK", async () => {
    const c = await telnet();
    expect(await exchange(c, 'CONNECT {"verbose":true,"pedantic":false}\r\n')).toBe("+OK\r\nPONG\r\n");
    expect(await exchange(c, "SUB v.foo 1\r\nUNSUB 1\r\n")).toBe("+OK\r\n+OK\r\nPONG\r\n");
  });

  test("with verbose false no +OK is sent for CONNECT, SUB, PUB or UNSUB", async () => {
    const c = await telnet();
    expect(await exchange(c, 'CONNECT {"verbose":false,"pedantic":false}\r\n')).toBe("PONG\r\n");
    expect(await exchange(c, "SUB nv.foo 1\r\nPUB nv.foo 2\r\nok\r\nUNSUB 1\r\nPUB nv.foo 2\r\nok\r\n")).toBe(
      "MSG nv.foo 1 2\r\nok\r\nPONG\r\n",
    );
  });

  test("CONNECT fields it leaves out keep their defaults: verbose stays on when only pedantic is sent", async () => {
    const c = await telnet();
    expect(await exchange(c, 'CONNECT {"pedantic":false}\r\n')).toBe("+OK\r\nPONG\r\n");
    expect(await exchange(c, "PUB part.* 2\r\nok\r\n")).toBe("+OK\r\nPONG\r\n");
  });

  test("an unprompted PONG is ignored and the connection stays open", async () => {
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "PONG\r\n")).toBe("PONG\r\n");
    expect(c.closed).toBe(false);
  });

  test("a SUB reusing a live sid is ignored: the first subscription keeps the sid", async () => {
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "SUB dup.a 1\r\nSUB dup.b 1\r\n")).toBe("PONG\r\n");
    expect(await exchange(c, "PUB dup.a 1\r\na\r\nPUB dup.b 1\r\nb\r\n")).toBe("MSG dup.a 1 1\r\na\r\nPONG\r\n");
  });
});

describe("grammar", () => {
  test("verbs are case-insensitive", async () => {
    const c = await telnet();
    expect(await exchange(c, 'connect {"verbose":false,"pedantic":false}\r\n')).toBe("PONG\r\n");
    expect(await exchange(c, "sub ci.foo 1\r\nPub ci.foo 2\r\nok\r\nping\r\n")).toBe("MSG ci.foo 1 2\r\nok\r\nPONG\r\nPONG\r\n");
    expect(await exchange(c, "uNsUb 1\r\npUB ci.foo 2\r\nok\r\nPiNg\r\n")).toBe("PONG\r\nPONG\r\n");
  });

  test("HPUB is case-insensitive too", async () => {
    const c = own(await rawConnect(srv, { headers: true }));
    expect(await exchange(c, "SUB ci.h 1\r\nhpub ci.h 12 14\r\nNATS/1.0\r\n\r\nhi\r\n")).toBe(
      "HMSG ci.h 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\nPONG\r\n",
    );
  });

  test("tabs and runs of spaces separate arguments", async () => {
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "SUB\tws.foo \t 1\r\nSUB  ws.foo\t\tq   2\r\n")).toBe("PONG\r\n");
    const got = parseMsgs(await exchange(c, "PUB\t ws.foo  \t r.1\t2\r\nok\r\n"));
    expect(got.map((m) => `${m.subject}|${m.sid}|${m.reply}|${m.data}`).sort()).toEqual([
      "ws.foo|1|r.1|ok",
      "ws.foo|2|r.1|ok",
    ]);
    expect(await exchange(c, "UNSUB \t 1\r\nUNSUB\t2  \r\nPUB ws.foo 2\r\nok\r\n")).toBe("PONG\r\n");
  });

  test("a control line may end with a bare LF", async () => {
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "SUB lf.foo 1\nPUB lf.foo 2\nok\r\nPING\n")).toBe("MSG lf.foo 1 2\r\nok\r\nPONG\r\nPONG\r\n");
  });
});

describe("PUB and MSG", () => {
  test("PUB is delivered as MSG <subject> <sid> <size> with the payload and CRLF", async () => {
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "SUB m.foo 7\r\nPUB m.foo 5\r\nhello\r\n")).toBe("MSG m.foo 7 5\r\nhello\r\nPONG\r\n");
  });

  test("PUB with a reply subject is delivered as MSG <subject> <sid> <reply> <size>", async () => {
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "SUB m.bar 9\r\nPUB m.bar _INBOX.abc.1 11\r\nhello world\r\n")).toBe(
      "MSG m.bar 9 _INBOX.abc.1 11\r\nhello world\r\nPONG\r\n",
    );
  });

  test("a wildcard subscription receives the published subject, not its own pattern", async () => {
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "SUB wc.* 1\r\nPUB wc.abc 2\r\nok\r\n")).toBe("MSG wc.abc 1 2\r\nok\r\nPONG\r\n");
    expect(await exchange(c, "UNSUB 1\r\nSUB wc.> 2\r\nPUB wc.a.b.c 2\r\nok\r\n")).toBe("MSG wc.a.b.c 2 2\r\nok\r\nPONG\r\n");
  });

  test("two matching subscriptions on one connection each get a copy (TestProtoBasics)", async () => {
    const c = own(await rawConnect(srv));
    const got = parseMsgs(await exchange(c, "SUB two.foo 1\r\nSUB two.* 2\r\nPUB two.foo 2\r\nok\r\n"));
    expect(got.map((m) => `${m.op} ${m.subject} ${m.sid} ${m.size} ${m.data}`).sort()).toEqual([
      "MSG two.foo 1 2 ok",
      "MSG two.foo 2 2 ok",
    ]);
  });

  test("the payload is read by its size, so CRLF inside it is data", async () => {
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "SUB crlf 1\r\nPUB crlf 6\r\na\r\nb\r\n\r\n")).toBe("MSG crlf 1 6\r\na\r\nb\r\n\r\nPONG\r\n");
  });

  test("a zero-length payload is delivered as MSG with size 0", async () => {
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "SUB zero 1\r\nPUB zero 0\r\n\r\nPUB zero r 0\r\n\r\n")).toBe(
      "MSG zero 1 0\r\n\r\nMSG zero 1 r 0\r\n\r\nPONG\r\n",
    );
  });

  test("a message goes to subscribers on other connections", async () => {
    const pub = own(await rawConnect(srv));
    const sub = own(await rawConnect(srv));
    await exchange(sub, "SUB other.conn 3\r\n");
    expect(await exchange(pub, "PUB other.conn 3\r\nabc\r\n")).toBe("PONG\r\n");
    expect(await exchange(sub, "")).toBe("MSG other.conn 3 3\r\nabc\r\nPONG\r\n");
  });
});

describe("headers", () => {
  const hdr = "NATS/1.0\r\nA: B\r\n\r\n"; // 18 bytes

  test("HPUB reaches a headers subscriber as HMSG with the exact header block and payload", async () => {
    expect(hdr.length).toBe(18);
    const pub = own(await rawConnect(srv, { headers: true }));
    const sub = own(await rawConnect(srv, { headers: true }));
    await exchange(sub, "SUB h.foo 1\r\n");
    await exchange(pub, `HPUB h.foo reply.x 18 23\r\n${hdr}hello\r\nHPUB h.foo 18 23\r\n${hdr}hello\r\n`);
    expect(await exchange(sub, "")).toBe(
      `HMSG h.foo 1 reply.x 18 23\r\n${hdr}hello\r\nHMSG h.foo 1 18 23\r\n${hdr}hello\r\nPONG\r\n`,
    );
  });

  test("a headers-only HPUB (total equals header size) is delivered as HMSG with no payload", async () => {
    const c = own(await rawConnect(srv, { headers: true }));
    expect(await exchange(c, "SUB h.only 1\r\nHPUB h.only 12 12\r\nNATS/1.0\r\n\r\n\r\n")).toBe(
      "HMSG h.only 1 12 12\r\nNATS/1.0\r\n\r\n\r\nPONG\r\n",
    );
  });

  test("HPUB reaches a subscriber that sent headers:false as MSG with the header block stripped", async () => {
    const pub = own(await rawConnect(srv, { headers: true }));
    const sub = own(await rawConnect(srv, { headers: false }));
    await exchange(sub, "SUB h.strip 4\r\n");
    await exchange(pub, `HPUB h.strip r.1 18 23\r\n${hdr}hello\r\nHPUB h.strip 12 12\r\nNATS/1.0\r\n\r\n\r\n`);
    expect(await exchange(sub, "")).toBe("MSG h.strip 4 r.1 5\r\nhello\r\nMSG h.strip 4 0\r\n\r\nPONG\r\n");
  });

  test("a connection that never sent CONNECT gets HPUBs as MSG (headers default to off)", async () => {
    const pub = own(await rawConnect(srv, { headers: true }));
    const sub = await telnet();
    expect(await exchange(sub, "SUB h.tel 1\r\n")).toBe("+OK\r\nPONG\r\n");
    await exchange(pub, `HPUB h.tel 18 23\r\n${hdr}hello\r\n`);
    expect(await exchange(sub, "")).toBe("MSG h.tel 1 5\r\nhello\r\nPONG\r\n");
  });

  test("a PUB reaches a headers subscriber as a plain MSG", async () => {
    const c = own(await rawConnect(srv, { headers: true }));
    expect(await exchange(c, "SUB h.plain 1\r\nPUB h.plain 2\r\nok\r\n")).toBe("MSG h.plain 1 2\r\nok\r\nPONG\r\n");
  });
});

describe("UNSUB", () => {
  test("UNSUB with a max auto-unsubscribes after that many messages (TestUnsubMax)", async () => {
    const c = own(await rawConnect(srv));
    const pubs = "PUB um.foo 2\r\nok\r\n".repeat(20);
    expect(await exchange(c, `SUB um.foo 22\r\nUNSUB 22 2\r\n${pubs}`)).toBe("MSG um.foo 22 2\r\nok\r\n".repeat(2) + "PONG\r\n");
    // The subscription is gone, so its sid is free again.
    expect(await exchange(c, "SUB um.bar 22\r\nPUB um.bar 2\r\nok\r\n")).toBe("MSG um.bar 22 2\r\nok\r\nPONG\r\n");
  });

  test("the max counts messages delivered before the UNSUB", async () => {
    const c = own(await rawConnect(srv));
    await exchange(c, "SUB uc.foo 6\r\nPUB uc.foo 1\r\na\r\n");
    expect(await exchange(c, "UNSUB 6 3\r\n" + "PUB uc.foo 1\r\nb\r\n".repeat(5))).toBe(
      "MSG uc.foo 6 1\r\nb\r\n".repeat(2) + "PONG\r\n",
    );
  });

  test("UNSUB with a max not above the delivered count removes the subscription at once", async () => {
    const c = own(await rawConnect(srv));
    const three = "PUB ul.foo 1\r\nx\r\n".repeat(3);
    const first = await exchange(c, `SUB ul.foo 5\r\nSUB ul.foo 6\r\n${three}`);
    expect(count(first, "MSG ul.foo 5 1\r\nx\r\n")).toBe(3);
    expect(count(first, "MSG ul.foo 6 1\r\nx\r\n")).toBe(3);
    expect(first.length).toBe(6 * "MSG ul.foo 5 1\r\nx\r\n".length + "PONG\r\n".length);
    // sid 5: max below delivered; sid 6: max equal to delivered. Both are removed now.
    expect(await exchange(c, "UNSUB 5 2\r\nUNSUB 6 3\r\nPUB ul.foo 1\r\nx\r\n")).toBe("PONG\r\n");
  });

  test("UNSUB of an unknown sid is accepted silently (and +OK'd in verbose mode)", async () => {
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "UNSUB 999\r\n")).toBe("PONG\r\n");
    const v = await telnet();
    expect(await exchange(v, "UNSUB 999\r\n")).toBe("+OK\r\nPONG\r\n");
  });
});

describe("queue groups", () => {
  test("each message goes to one member of each group, and plain subscribers get a copy (TestMultipleQueueSub)", async () => {
    const c = own(await rawConnect(srv));
    const sent = 100;
    const out = await exchange(
      c,
      "SUB qg.foo g1 1\r\nSUB qg.foo g1 2\r\nSUB qg.foo g2 3\r\nSUB qg.foo g2 4\r\nSUB qg.foo 5\r\n" +
        "PUB qg.foo 2\r\nok\r\n".repeat(sent),
    );
    const bySid = new Map<string, number>();
    for (const m of parseMsgs(out)) {
      expect(`${m.subject} ${m.size} ${m.data}`).toBe("qg.foo 2 ok");
      bySid.set(m.sid, (bySid.get(m.sid) ?? 0) + 1);
    }
    const n = (sid: string) => bySid.get(sid) ?? 0;
    expect(n("5")).toBe(sent);
    expect(n("1") + n("2")).toBe(sent);
    expect(n("3") + n("4")).toBe(sent);
    // Random choice: each member of a two-member group gets some of 100 (all-to-one has odds 2^-99).
    for (const sid of ["1", "2", "3", "4"]) expect(n(sid)).toBeGreaterThan(0);
  });

  test("queue members on different connections share the messages", async () => {
    const pub = own(await rawConnect(srv));
    const a = own(await rawConnect(srv));
    const b = own(await rawConnect(srv));
    await exchange(a, "SUB qc.foo workers 1\r\n");
    await exchange(b, "SUB qc.foo workers 1\r\n");
    await exchange(pub, "PUB qc.foo 2\r\nok\r\n".repeat(100));
    const na = parseMsgs(await exchange(a, "")).length;
    const nb = parseMsgs(await exchange(b, "")).length;
    expect(na + nb).toBe(100);
    expect(na).toBeGreaterThan(0);
    expect(nb).toBeGreaterThan(0);
  });
});

describe("echo", () => {
  test("echo:false keeps a connection's own messages from its subscriptions; others still get them", async () => {
    const quiet = own(await rawConnect(srv, { echo: false }));
    const other = own(await rawConnect(srv));
    await exchange(quiet, "SUB echo.foo 1\r\n");
    await exchange(other, "SUB echo.foo 2\r\n");
    expect(await exchange(quiet, "PUB echo.foo 2\r\nme\r\n")).toBe("PONG\r\n");
    expect(await exchange(other, "")).toBe("MSG echo.foo 2 2\r\nme\r\nPONG\r\n");
    // Messages from other connections still reach the echo:false connection.
    expect(await exchange(other, "PUB echo.foo 2\r\nyo\r\n")).toBe("MSG echo.foo 2 2\r\nyo\r\nPONG\r\n");
    expect(await exchange(quiet, "")).toBe("MSG echo.foo 1 2\r\nyo\r\nPONG\r\n");
  });

  test("echo defaults to on: a connection receives its own messages", async () => {
    const c = own(await rawConnect(srv));
    expect(await exchange(c, "SUB echo.on 1\r\nPUB echo.on 2\r\nme\r\n")).toBe("MSG echo.on 1 2\r\nme\r\nPONG\r\n");
  });
});

describe("no responders", () => {
  // Current nats-server (client.go, since 2.12.0) names the request subject in a Nats-Subject header, so the
  // header block is 32 bytes plus the subject. Older servers (2.9.10 included) sent `NATS/1.0 503\r\n\r\n`
  // (16 16); the client only looks at the 503 status and the empty body either way.
  const status = (subject: string) => `NATS/1.0 503\r\nNats-Subject: ${subject}\r\n\r\n`;

  test("an unanswered request gets the 503 HMSG on the requester's reply subscription", async () => {
    const c = own(await rawConnect(srv, { headers: true, no_responders: true }));
    const h = status("nr.nobody");
    expect(h.length).toBe(32 + "nr.nobody".length);
    expect(await exchange(c, "SUB _INBOX.nr.1 1\r\nPUB nr.nobody _INBOX.nr.1 2\r\nhi\r\n")).toBe(
      `HMSG _INBOX.nr.1 1 ${h.length} ${h.length}\r\n${h}\r\nPONG\r\n`,
    );
  });

  test("the 503 goes to the requester's subscription that matches the reply subject, a wildcard included", async () => {
    const c = own(await rawConnect(srv, { headers: true, no_responders: true }));
    const h = status("nr.svc");
    expect(await exchange(c, "SUB _INBOX.mux.* 3\r\nPUB nr.svc _INBOX.mux.42 0\r\n\r\n")).toBe(
      `HMSG _INBOX.mux.42 3 ${h.length} ${h.length}\r\n${h}\r\nPONG\r\n`,
    );
  });

  test("no 503 without no_responders in CONNECT", async () => {
    const c = own(await rawConnect(srv, { headers: true }));
    expect(await exchange(c, "SUB _INBOX.nr.2 1\r\nPUB nr.nobody _INBOX.nr.2 2\r\nhi\r\n")).toBe("PONG\r\n");
  });

  test("no 503 when the requester has no subscription on the reply subject", async () => {
    const c = own(await rawConnect(srv, { headers: true, no_responders: true }));
    expect(await exchange(c, "PUB nr.nobody _INBOX.nr.3 2\r\nhi\r\n")).toBe("PONG\r\n");
  });

  test("no 503 for a publish without a reply subject", async () => {
    const c = own(await rawConnect(srv, { headers: true, no_responders: true }));
    expect(await exchange(c, "SUB _INBOX.nr.4 1\r\nPUB nr.nobody 2\r\nhi\r\n")).toBe("PONG\r\n");
  });

  test("no 503 when someone received the request", async () => {
    const svc = own(await rawConnect(srv));
    await exchange(svc, "SUB nr.svc2 1\r\n");
    const c = own(await rawConnect(srv, { headers: true, no_responders: true }));
    expect(await exchange(c, "SUB _INBOX.nr.5 1\r\nPUB nr.svc2 _INBOX.nr.5 2\r\nhi\r\n")).toBe("PONG\r\n");
    expect(await exchange(svc, "")).toBe("MSG nr.svc2 1 _INBOX.nr.5 2\r\nhi\r\nPONG\r\n");
  });
});

describe("frames split across reads", () => {
  const hdr = "NATS/1.0\r\nA: B\r\n\r\n";

  test("a whole session sent one byte per write is processed exactly as in one write", async () => {
    const c = own(await rawOpen(srv));
    // A round trip on another connection between writes lets the server read each byte on its own.
    const pacer = own(await rawConnect(srv));
    c.clear();
    const script =
      'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n' +
      "SUB split.foo 1\r\n" +
      "PUB split.foo reply.x 11\r\nhello world\r\n" +
      `HPUB split.foo 18 23\r\n${hdr}hello\r\n` +
      "PUB split.foo 0\r\n\r\n" +
      "UNSUB 1\r\n" +
      "PUB split.foo 2\r\nno\r\n" +
      "PING\r\n";
    for (const ch of script) {
      c.send(ch);
      await roundTrip(pacer);
      pacer.clear();
    }
    await waitForCount(c, "PONG\r\n", 1);
    expect(c.received).toBe(
      "MSG split.foo 1 reply.x 11\r\nhello world\r\n" + `HMSG split.foo 1 18 23\r\n${hdr}hello\r\n` + "MSG split.foo 1 0\r\n\r\nPONG\r\n",
    );
  });

  test("a PUB split into two writes at every byte boundary is delivered intact each time", async () => {
    const c = own(await rawConnect(srv, { headers: true }));
    const pacer = own(await rawConnect(srv));
    await exchange(c, "SUB split.two 1\r\n");
    c.clear();
    const frames = ["PUB split.two r.1 11\r\nhello world\r\n", `HPUB split.two 18 23\r\n${hdr}hello\r\n`];
    const expected: string[] = [];
    for (const frame of frames) {
      for (let k = 1; k < frame.length; k++) {
        c.send(frame.slice(0, k));
        await roundTrip(pacer);
        pacer.clear();
        c.send(frame.slice(k));
        expected.push(frame.startsWith("PUB") ? "MSG split.two 1 r.1 11\r\nhello world\r\n" : `HMSG split.two 1 18 23\r\n${hdr}hello\r\n`);
      }
    }
    await roundTrip(c);
    expect(c.received).toBe(expected.join("") + "PONG\r\n");
  });

  test("a 512 KiB payload that spans many writes arrives intact, and the next frame parses", async () => {
    const pub = own(await rawConnect(srv));
    const sub = own(await rawConnect(srv));
    await exchange(sub, "SUB big.one 1\r\n");
    sub.clear();
    const size = 512 * 1024;
    const payload = patternPayload(size);
    const wire = `PUB big.one ${size}\r\n${payload}\r\nPUB big.one 2\r\nok\r\n`;
    // An odd chunk size so chunk edges fall everywhere in the frame.
    for (let i = 0; i < wire.length; i += 7919) await pub.sendAll(wire.slice(i, i + 7919));
    const expected = `MSG big.one 1 ${size}\r\n${payload}\r\nMSG big.one 1 2\r\nok\r\n`;
    await sub.waitUntil((s) => s.length >= expected.length, `${expected.length} bytes`);
    expect(sub.received.length).toBe(expected.length);
    expect(sub.received === expected).toBe(true);
    expect(await exchange(pub, "")).toBe("PONG\r\n");
  });
});
