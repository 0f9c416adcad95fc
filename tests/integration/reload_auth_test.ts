/**
 * SIGHUP reload against a live connection, through the natsedge executable: a permission change removes a
 * subscription the user may no longer hold, a password change closes the connection with
 * -ERR 'Authorization Violation', a config that cannot be reloaded is refused and the old one stays.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RawConn } from "../_helpers/server.ts";
import { CliChild } from "../_helpers/cli_child.ts";
import { scratchDir } from "../_helpers/certs.ts";

let child: CliChild | null = null;
let dir = "";
afterEach(async () => {
  await child?.close();
  child = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function conf(password: string, subAllow: string[], extra = ""): string {
  return `
${extra}
authorization {
  users: [
    { user: alice, password: "${password}", permissions: { subscribe: { allow: ${JSON.stringify(subAllow)} } } }
    { user: bob, password: "bobpass" }
  ]
}
`;
}

async function login(port: number, user: string, pass: string): Promise<RawConn> {
  const c = await RawConn.open(port);
  await c.waitFor("INFO ");
  c.send(`CONNECT {"verbose":false,"protocol":1,"user":"${user}","pass":"${pass}"}\r\n`);
  await c.sync();
  return c;
}

describe("config reload (SIGHUP)", () => {
  test("a removed permission drops the subscription, a changed password closes the connection", async () => {
    dir = scratchDir("natsedge-reload-");
    const file = join(dir, "server.conf");
    writeFileSync(file, conf("secret1", ["foo.>", "bar"]));
    child = await CliChild.start(["-c", file, "-a", "127.0.0.1", "-p", "-1"]);
    const alice = await login(child.port, "alice", "secret1");
    alice.send("SUB foo.x 1\r\nSUB bar 2\r\n");
    await alice.sync();
    const bob = await login(child.port, "bob", "bobpass");

    expect(await child.reloadWith(file, conf("secret1", ["foo.>"]))).toContain("Reloaded server configuration");
    await alice.waitFor(`-ERR 'Permissions Violation for Subscription to "bar" (sid "2")'`);
    await child.waitLog(/Removed sub "bar" \(sid "2"\) for User "alice" - not authorized/);
    // The subscription that is still allowed keeps delivering; the removed one does not.
    alice.clear();
    bob.send("PUB bar 1\r\nb\r\nPUB foo.x 1\r\nf\r\n");
    await bob.sync();
    await alice.waitFor("MSG foo.x 1 1\r\nf\r\n");
    expect(alice.received).not.toContain("MSG bar");

    expect(await child.reloadWith(file, conf("secret2", ["foo.>"]))).toContain("Reloaded server configuration");
    await alice.waitFor("-ERR 'Authorization Violation'");
    await alice.waitClosed();
    // bob's credentials did not change: still connected.
    expect((await bob.sync()).endsWith("PONG\r\n")).toBe(true);
    // New connections use the new password.
    const again = await login(child.port, "alice", "secret2");
    expect(again.closed).toBe(false);
    again.close();
    bob.close();
  });

  test("an invalid config or an option that cannot change is refused and the old config stays", async () => {
    dir = scratchDir("natsedge-reload-");
    const file = join(dir, "server.conf");
    writeFileSync(file, conf("secret1", [">"], "server_name: edge1"));
    child = await CliChild.start(["-c", file, "-a", "127.0.0.1", "-p", "-1"]);

    expect(await child.reloadWith(file, conf("secret2", [">"], "server_name: edge2"))).toContain(
      "[ERR] Failed to reload server configuration: config reload not supported for ServerName: old=edge1, new=edge2",
    );
    expect(await child.reloadWith(file, "authorization { users: [ { user: alice, password: ")).toContain("Failed to reload server configuration");
    // Neither reload applied: the old password still works.
    const alice = await login(child.port, "alice", "secret1");
    expect(alice.closed).toBe(false);
    alice.close();
  });

  test("debug turned on by a reload applies at once", async () => {
    dir = scratchDir("natsedge-reload-");
    const file = join(dir, "server.conf");
    writeFileSync(file, "debug: false\n");
    child = await CliChild.start(["-c", file, "-a", "127.0.0.1", "-p", "-1"]);
    const from = child.lines.length;
    expect(await child.reloadWith(file, "debug: true\n")).toContain("Reloaded server configuration");
    await child.waitLog(/\[INF\] Reloaded: debug = true/, from);
    const c = await RawConn.open(child.port);
    await child.waitLog(/\[DBG\] .* - Client connection created/, from);
    c.close();
  });
});
