/**
 * Test PKI, generated with the `openssl` CLI the first time a test process asks for it:
 *
 * - `ca`: the trusted CA (`ca_file` on the server, `caFile` on clients);
 * - `server`: CN=localhost, SAN DNS:localhost and IP:127.0.0.1, serverAuth, signed by `ca`;
 * - `client`: CN=natsedge-client, no SAN, clientAuth, signed by `ca` (maps to no user);
 * - `email`: SAN DNS:localhost, IP:127.0.0.1, email:derek@nats.io then a second email, clientAuth, signed
 *   by `ca` (seed 002's client-id-auth-cert.pem: verify_and_map maps it to the first email);
 * - `dn`: subject `OU=CNCF, CN=example.com` and no SAN, signed by `ca` (seed 002's tlsauth/client2.pem:
 *   verify_and_map maps it to `CN=example.com,OU=CNCF`);
 * - `untrusted`: a client certificate from a second CA that the server does not trust (`untrustedCa`);
 * - `node`: CN=localhost, SAN DNS:localhost and IP:127.0.0.1, serverAuth and clientAuth, signed by `ca`: a
 *   cluster member's certificate, presented both when it accepts a route and when it dials one.
 *
 * The server key is RSA, so the ECDHE_RSA cipher suites of seed 002 apply; the others are P-256. The files are cached in a fixed directory under
 * the system temp dir, keyed by CERTS_VERSION (bump it when the set changes), so test files and processes
 * share one generation; the directory is built under a temporary name and renamed into place, so concurrent
 * processes never see half a set. Certificates are regenerated after MAX_AGE_DAYS.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const CERTS_VERSION = "v2";
const MAX_AGE_DAYS = 30;

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestCerts {
  dir: string;
  /** The trusted CA certificate (PEM file path). */
  ca: string;
  server: KeyPair;
  client: KeyPair;
  email: KeyPair;
  dn: KeyPair;
  untrusted: KeyPair;
  untrustedCa: string;
  node: KeyPair;
}

/** The first email in `email`'s SAN, the user verify_and_map finds for it. */
export const EMAIL_IDENTITY = "derek@nats.io";
/** A second email in the same SAN: verify_and_map only ever uses the first one. */
export const SECOND_EMAIL_IDENTITY = "second@nats.io";
/** `dn`'s subject in RFC 2253 form (last RDN first). */
export const DN_IDENTITY = "CN=example.com,OU=CNCF";
/** `client`'s subject in RFC 2253 form. */
export const CLIENT_DN = "CN=natsedge-client";

const EXTENSIONS = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[node]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_email]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,email:${EMAIL_IDENTITY},email:${SECOND_EMAIL_IDENTITY}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

function openssl(cwd: string, args: string[]): void {
  // node:child_process rather than Bun.spawnSync: Deno-run tests need the same PKI.
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`openssl ${args.join(" ")} failed (${r.status ?? r.error?.message}): ${r.stderr}`);
  }
}

/** RSA for the server (the ECDHE_RSA suites of the seeds need an RSA server key), P-256 elsewhere (fast). */
const RSA = ["-newkey", "rsa:2048"];
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

function selfSignedCa(cwd: string, name: string, subject: string): void {
  openssl(cwd, [
    "req", "-x509", ...EC, "-nodes", "-sha256", "-days", "3650",
    "-config", "ext.cnf", "-extensions", "v3_ca",
    "-subj", subject, "-keyout", `${name}-key.pem`, "-out", `${name}.pem`,
  ]);
}

let serial = 1000;
function leaf(cwd: string, name: string, subject: string, extensions: string, ca: string): void {
  openssl(cwd, [
    "req", "-new", ...(extensions === "server" ? RSA : EC), "-nodes", "-sha256",
    "-config", "ext.cnf", "-subj", subject, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`,
  ]);
  openssl(cwd, [
    "x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}-key.pem`,
    "-set_serial", String(serial++), "-days", "825", "-sha256",
    "-extfile", "ext.cnf", "-extensions", extensions, "-out", `${name}-cert.pem`,
  ]);
}

function generate(into: string): void {
  writeFileSync(join(into, "ext.cnf"), EXTENSIONS);
  selfSignedCa(into, "ca", "/O=natsedge tests/CN=natsedge test CA");
  selfSignedCa(into, "other-ca", "/O=somebody else/CN=untrusted CA");
  leaf(into, "server", "/CN=localhost", "server", "ca");
  leaf(into, "client", "/CN=natsedge-client", "client", "ca");
  leaf(into, "client-email", "/CN=derek", "client_email", "ca");
  // openssl writes RDNs in the order given; RFC 2253 lists them last first: CN=example.com,OU=CNCF.
  leaf(into, "client-dn", "/OU=CNCF/CN=example.com", "client", "ca");
  leaf(into, "untrusted", "/CN=natsedge-client", "client", "other-ca");
  leaf(into, "node", "/CN=localhost", "node", "ca");
  writeFileSync(join(into, "READY"), new Date().toISOString());
}

function layout(dir: string): TestCerts {
  const pair = (name: string): KeyPair => ({ cert: join(dir, `${name}-cert.pem`), key: join(dir, `${name}-key.pem`) });
  return {
    dir,
    ca: join(dir, "ca.pem"),
    server: pair("server"),
    client: pair("client"),
    email: pair("client-email"),
    dn: pair("client-dn"),
    untrusted: pair("untrusted"),
    untrustedCa: join(dir, "other-ca.pem"),
    node: pair("node"),
  };
}

function fresh(dir: string): boolean {
  const ready = join(dir, "READY");
  if (!existsSync(ready)) return false;
  const age = Date.now() - statSync(ready).mtimeMs;
  return age < MAX_AGE_DAYS * 24 * 3600 * 1000;
}

let cached: TestCerts | undefined;

/** The test PKI; generated on first use (about a second), then reused. */
export function testCerts(): TestCerts {
  if (cached !== undefined) return cached;
  const dir = join(tmpdir(), `natsedge-test-certs-${CERTS_VERSION}`);
  if (!fresh(dir)) {
    const work = mkdtempSync(join(tmpdir(), `natsedge-test-certs-${CERTS_VERSION}-tmp-`));
    try {
      generate(work);
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(work, dir);
      } catch (e) {
        // Another process won the race and its set is complete: use that one.
        if (!fresh(dir)) throw e;
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  cached = layout(dir);
  return cached;
}

/** PEM text of a file, for clients that take `ca`/`cert`/`key` contents. */
export function pem(path: string): string {
  return readFileSync(path, "utf8");
}

/** A fresh temporary directory for config files; the caller removes it. */
export function scratchDir(prefix = "natsedge-sec-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(d, { recursive: true });
  return d;
}
