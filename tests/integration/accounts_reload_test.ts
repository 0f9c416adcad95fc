// A config reload (SIGHUP, through the natsedge executable) with accounts configured: the accounts' users are
// configured users, so a change to authorization {} leaves their connections alone. natsedge only: the
// executable is natsedge's.
import { afterAll, describe, expect } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RawConn } from "../_helpers/server.ts";
import { CliChild } from "../_helpers/cli_child.ts";
import { natsedgeOnly } from "../_helpers/security.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-accounts-reload-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function conf(text: string): string {
  const file = join(dir, "server.conf");
  writeFileSync(file, text);
  return file;
}

describe("a config reload with accounts", () => {
  let child: CliChild | null = null;
  afterAll(async () => {
    await child?.close();
  });

  natsedgeOnly("keeps an account user connected when authorization {} changes", async () => {
    const text = (extra: string) => `
accounts { A: { users: [ {user: a, password: a} ] } }
authorization { users: [ {user: g, password: g}${extra} ] }`;
    const file = conf(text(""));
    child = await CliChild.start(["-c", file, "-a", "127.0.0.1", "-p", "-1"]);
    const a = await RawConn.open(child.port);
    await a.waitFor("INFO ");
    a.send(`CONNECT {"verbose":false,"protocol":1,"user":"a","pass":"a"}\r\nSUB x 1\r\n`);
    await a.sync();
    const from = child.lines.length;
    writeFileSync(file, text(", {user: g2, password: g2}"));
    child.signal("SIGHUP");
    expect(await child.waitLog(/Reloaded server configuration|Failed to reload server configuration/, from)).toContain("Reloaded");
    a.clear();
    a.send("PUB x 2\r\nhi\r\n");
    await a.waitFor("MSG x 1 2\r\nhi\r\n");
    a.close();
  });
});

describe("a config reload that changes accounts", () => {
  let child: CliChild | null = null;
  afterAll(async () => {
    await child?.close();
  });

  natsedgeOnly("applies a changed password in an account and never logs the passwords; moving the block is no change", async () => {
    const accounts = (pass: string) => `accounts { A: { users: [ {user: a, password: "${pass}"} ] } }`;
    const file = conf(accounts("first-secret"));
    child = await CliChild.start(["-c", file, "-a", "127.0.0.1", "-p", "-1"]);
    const a = await RawConn.open(child.port);
    await a.waitFor("INFO ");
    a.send(`CONNECT {"verbose":false,"protocol":1,"user":"a","pass":"first-secret"}\r\n`);
    await a.sync();
    let from = child.lines.length;
    writeFileSync(file, `\n\n# moved down\n${accounts("first-secret")}`);
    child.signal("SIGHUP");
    expect(await child.waitLog(/Reloaded server configuration|Failed to reload server configuration/, from)).toContain("Reloaded");
    expect(child.lines.slice(from).join("\n")).not.toContain("Reloaded: accounts");
    from = child.lines.length;
    writeFileSync(file, accounts("second-secret"));
    child.signal("SIGHUP");
    expect(await child.waitLog(/Reloaded server configuration|Failed to reload server configuration/, from)).toContain("Reloaded server configuration");
    await child.waitLog(/Reloaded: accounts/, from);
    await a.waitFor("-ERR 'Authorization Violation'");
    await a.waitClosed();
    expect(child.lines.join("\n")).not.toContain("secret");
  });
});
