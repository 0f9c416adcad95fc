// Operator mode (JWT authentication) with nats.js credsAuthenticator, as nats-server 2.9.10 has it (run
// against it with NATSEDGE_REFERENCE_SERVER=/usr/sbin/nats-server): accounts from JWTs isolated from each
// other, a stream and a service import between them, refused users (bad signature, expired, revoked,
// unknown account), MEMORY and full resolvers, and account JWTs pushed through the system account at run
// time. Modelled on nats-server's server/jwt_test.go (TestJWTAccountImportsExports, TestJWTUserRevoked,
// TestJWTAccountURLResolverPermanentFetchFailure's update handling) and test/operator_test.go.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { client, type TestServer } from "../_helpers/server.ts";
import { runServerFromArgs } from "../_helpers/conf_server.ts";
import { type JwtAccount, OperatorSetup, credsConnections } from "../_helpers/operator.ts";

const dir = mkdtempSync(join(tmpdir(), "natsedge-op-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(conf: string): Promise<TestServer> {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, conf);
  return runServerFromArgs(["-c", file]);
}

type Json = Record<string, unknown>;
const as = (srv: TestServer, creds: Uint8Array) => client(srv, { authenticator: credsAuthenticator(creds) });

for (const resolver of ["memory", "full"] as const) {
  describe(`operator mode with a ${resolver} resolver`, () => {
    let srv: TestServer;
    let setup: OperatorSetup;
    let a: JwtAccount;
    let b: JwtAccount;
    let svc: JwtAccount;
    let exporter: JwtAccount;
    let importer: JwtAccount;
    const jwtDir = join(dir, `jwt-${resolver}`);
    const { open, closeAll } = credsConnections(() => srv);

    beforeAll(async () => {
      setup = await OperatorSetup.create();
      svc = await setup.account("SVC", {
        exports: [{ name: "events", subject: "events.>", type: "stream" }, { name: "help", subject: "help", type: "service" }],
      });
      a = await setup.account("A", {
        imports: [{ name: "events", subject: "events.>", account: svc.pub, type: "stream" }, { name: "help", subject: "help", account: svc.pub, type: "service" }],
      });
      b = await setup.account("B");
      exporter = await setup.account("E", { exports: [{ name: "feed", subject: "feed", type: "stream" }] });
      importer = await setup.account("I", { imports: [{ name: "feed", subject: "feed", account: exporter.pub, type: "stream" }] });
      srv = await start(setup.conf(resolver === "memory" ? "memory" : { dir: jwtDir }));
    });
    afterAll(async () => {
      await closeAll();
      await srv.close();
    });

    test("users of two accounts do not see each other's messages", async () => {
      const ua = await open((await setup.user(a)).creds);
      const ub = await open((await setup.user(b)).creds);
      const seen: string[] = [];
      ub.subscribe("x", { callback: () => void seen.push("b") });
      const own = ua.subscribe("x", { max: 1 });
      await ub.flush();
      await ua.flush();
      ua.publish("x", "hi");
      for await (const m of own) expect(m.string()).toBe("hi");
      await ub.flush();
      expect(seen).toEqual([]);
    });

    test("a stream and a service exported by one JWT account are imported by another", async () => {
      const us = await open((await setup.user(svc)).creds);
      const ua = await open((await setup.user(a)).creds);
      us.subscribe("help", { callback: (_e, m) => void m.respond(`re:${m.string()}`) });
      const events = ua.subscribe("events.>", { max: 1 });
      await us.flush();
      await ua.flush();
      us.publish("events.one", "e1");
      for await (const m of events) expect([m.subject, m.string()]).toEqual(["events.one", "e1"]);
      expect((await ua.request("help", "q", { timeout: 2000 })).string()).toBe("re:q");
    });

    test("a user JWT with a bad signature, an expired one and one of an unknown account are refused", async () => {
      const good = await setup.user(a);
      const other = await setup.user(b);
      const [h, p] = good.jwt.split(".");
      const forged = `${h}.${p}.${other.jwt.split(".")[2]}`;
      const forgedCreds = new TextDecoder().decode(good.creds).replace(good.jwt, forged);
      await expect(as(srv, new TextEncoder().encode(forgedCreds))).rejects.toThrow(/authorization violation/i);
      const expired = await setup.user(a, {}, Math.floor(Date.now() / 1000) - 10);
      await expect(as(srv, expired.creds)).rejects.toThrow(/authorization violation/i);
      const stranger = await setup.account("X", {}, false);
      await expect(as(srv, (await setup.user(stranger)).creds)).rejects.toThrow(/authorization violation/i);
    });

    test("a user revoked by the account JWT is refused", async () => {
      const kpUser = await setup.user(a);
      const now = Math.floor(Date.now() / 1000);
      const sysUser = await open((await setup.user(setup.sys)).creds);
      const revoked = await setup.sign(a.kp, "A", { imports: [], revocations: { [kpUser.pub]: now } });
      const r = (await sysUser.request(`$SYS.REQ.ACCOUNT.${a.pub}.CLAIMS.UPDATE`, revoked, { timeout: 2000 })).json<Json>();
      expect(r.data).toEqual({ account: a.pub, code: 200, message: "jwt updated" });
      await expect(as(srv, kpUser.creds)).rejects.toThrow(/authorization violation/i);
    });

    test("an account JWT pushed at run time revokes a connected user: its connection ends", async () => {
      const victim = await setup.user(b);
      const nc = await as(srv, victim.creds);
      const errors: string[] = [];
      (async () => {
        for await (const s of nc.status()) if (s.type === "error") errors.push(String((s as { error?: Error }).error?.message));
      })();
      const closed = nc.closed();
      const sysUser = await open((await setup.user(setup.sys)).creds);
      const jwt = await setup.sign(b.kp, "B", { revocations: { [victim.pub]: Math.floor(Date.now() / 1000) } });
      const r = (await sysUser.request(`$SYS.REQ.ACCOUNT.${b.pub}.CLAIMS.UPDATE`, jwt, { timeout: 2000 })).json<Json>();
      expect(Object.keys(r).sort()).toEqual(["data", "server"]);
      await closed;
      expect(errors.join()).toMatch(/user authentication revoked/i);
    });

    test("an update for an account the server does not have, or one that is not a JWT", async () => {
      const sysUser = await open((await setup.user(setup.sys)).creds);
      const later = await setup.account("LATER", {}, false);
      const bad = (await sysUser.request(`$SYS.REQ.ACCOUNT.${later.pub}.CLAIMS.UPDATE`, "garbage", { timeout: 2000 })).json<Json>();
      expect((bad.error as Json).code).toBe(500);
      // The directory resolver does not say which account a JWT it cannot decode was for.
      expect((bad.error as Json).account).toBe(resolver === "memory" ? later.pub : "n/a");
      const r = (await sysUser.request(`$SYS.REQ.ACCOUNT.${later.pub}.CLAIMS.UPDATE`, later.jwt, { timeout: 2000 })).json<Json>();
      if (resolver === "memory") {
        // MEMORY updates only the accounts in use; it never learns new ones.
        expect(r.data).toEqual({ account: later.pub, code: 200, message: "jwt update skipped" });
        await expect(as(srv, (await setup.user(later)).creds)).rejects.toThrow(/authorization violation/i);
      } else {
        expect(r.data).toEqual({ account: later.pub, code: 200, message: "jwt updated" });
        expect(existsSync(join(jwtDir, `${later.pub}.jwt`))).toBe(true);
        const nc = await open((await setup.user(later)).creds);
        await nc.flush();
      }
    });

    test("an exporter's JWT pushed without the export ends the import; pushed with it again, it is back", async () => {
      const ue = await open((await setup.user(exporter)).creds);
      const ui = await open((await setup.user(importer)).creds);
      const sysUser = await open((await setup.user(setup.sys)).creds);
      const got: string[] = [];
      ui.subscribe("feed", { callback: (_e, m) => void got.push(m.string()) });
      await ui.flush();
      const roundTrip = async (body: string) => {
        ue.publish("feed", body);
        await ue.flush();
        // The server has routed the publish once the exporter's flush returns; a delivery to the importer is
        // then ahead of the importer's PONG.
        await ui.flush();
      };
      await roundTrip("1");
      const push = async (claims: object) => {
        const jwt = await setup.sign(exporter.kp, "E", claims);
        const r = (await sysUser.request(`$SYS.REQ.ACCOUNT.${exporter.pub}.CLAIMS.UPDATE`, jwt, { timeout: 2000 })).json<Json>();
        expect((r.data as Json).message).toBe("jwt updated");
      };
      await push({ exports: [] });
      await roundTrip("2");
      await push({ exports: [{ name: "feed", subject: "feed", type: "stream" }] });
      await roundTrip("3");
      expect(got).toEqual(["1", "3"]);
    });

    if (resolver === "full") {
      test("$SYS.REQ.CLAIMS.UPDATE takes the account from the JWT, CLAIMS.LOOKUP answers with the stored JWT", async () => {
        const sysUser = await open((await setup.user(setup.sys)).creds);
        const c = await setup.account("C", {}, false);
        const r = (await sysUser.request("$SYS.REQ.CLAIMS.UPDATE", c.jwt, { timeout: 2000 })).json<Json>();
        expect(r.data).toEqual({ account: c.pub, code: 200, message: "jwt updated" });
        const bad = (await sysUser.request("$SYS.REQ.CLAIMS.UPDATE", "garbage", { timeout: 2000 })).json<Json>();
        expect(bad.error).toMatchObject({ account: "n/a", code: 500 });
        expect((await sysUser.request(`$SYS.REQ.ACCOUNT.${c.pub}.CLAIMS.LOOKUP`, "", { timeout: 2000 })).string()).toBe(c.jwt);
      });
    } else {
      test("MEMORY serves no CLAIMS.LOOKUP and no $SYS.REQ.CLAIMS.UPDATE", async () => {
        const sysUser = await open((await setup.user(setup.sys)).creds);
        await expect(sysUser.request("$SYS.REQ.CLAIMS.UPDATE", a.jwt, { timeout: 1000 })).rejects.toThrow(/no responders/i);
        await expect(sysUser.request(`$SYS.REQ.ACCOUNT.${a.pub}.CLAIMS.LOOKUP`, "", { timeout: 1000 })).rejects.toThrow(/no responders/i);
      });
    }
  });
}
