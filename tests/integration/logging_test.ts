import { expect, test } from "bun:test";
import { RawConn, runServer } from "../_helpers/server.ts";

test("trace (-V) logs protocol operations both ways and never the CONNECT credentials", async () => {
  const srv = await runServer({ trace: true, authorization: { user: "alice", password: "pw-s3cret-123" } });
  try {
    const c = await RawConn.open(srv.port);
    await c.waitFor("INFO ");
    c.send('CONNECT {"verbose":false,"user":"alice","pass":"pw-s3cret-123","auth_token":"tok-s3cret"}\r\nSUB foo 1\r\nPUB foo 5\r\nhello\r\n');
    await c.waitFor("MSG foo 1 5\r\nhello\r\n");
    await c.sync();
    c.close();
    const log = srv.logs.join("\n");
    expect(log).toContain('<<- [CONNECT {"verbose":false,"user":"alice","pass":"[REDACTED]","auth_token":"[REDACTED]"}]');
    expect(log).toContain("<<- [SUB foo 1]");
    expect(log).toContain("<<- [PUB foo 5]");
    expect(log).toContain('<<- [MSG_PAYLOAD: "hello"]');
    expect(log).toContain("->> [MSG foo 1 5]");
    expect(log).toContain("->> [PONG]");
    expect(log).not.toContain("pw-s3cret-123");
    expect(log).not.toContain("tok-s3cret");
    for (const line of srv.logs) expect(line).toMatch(/^\[\d+\] \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{6} \[(INF|TRC|DBG|WRN|ERR)\] /);
  } finally {
    await srv.close();
  }
});

test("without trace, no protocol operation is logged", async () => {
  const srv = await runServer();
  try {
    const c = await RawConn.open(srv.port);
    c.send('CONNECT {"verbose":false}\r\nSUB foo 1\r\nPUB foo 2\r\nhi\r\n');
    await c.waitFor("MSG foo 1 2\r\nhi\r\n");
    c.close();
    expect(srv.logs.some((l) => l.includes("[TRC]"))).toBe(false);
    expect(srv.logs.some((l) => l.includes("Server is ready"))).toBe(true);
  } finally {
    await srv.close();
  }
});
