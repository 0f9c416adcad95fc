// The client-certificate chain check the Deno transport needs (Deno's node:tls requests a certificate but
// never verifies it) and the identities verify_and_map reads, on the test PKI plus an intermediate CA made here.
import { afterAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { spawnSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { chainError, parseBundle, peerIdentities } from "../../../src/runtime/peer_cert.ts";
import { EMAIL_IDENTITY, pem, scratchDir, testCerts } from "../../_helpers/certs.ts";

const certs = testCerts();
const x509 = (path: string) => new X509Certificate(pem(path));
const ca = x509(certs.ca);
const other = x509(certs.untrustedCa);

function openssl(cwd: string, args: string[]): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

/** An intermediate CA under the test CA, and a client certificate it signed. */
function intermediateChain(): { intermediate: X509Certificate; leaf: X509Certificate } {
  const dir = scratchDir("natsedge-peer-cert-");
  dirs.push(dir);
  for (const f of ["ca.pem", "ca-key.pem", "ext.cnf"]) copyFileSync(join(certs.dir, f), join(dir, f));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-sha256", "-config", "ext.cnf"];
  openssl(dir, ["req", "-new", ...ec, "-subj", "/CN=intermediate", "-keyout", "int-key.pem", "-out", "int.csr"]);
  openssl(dir, ["x509", "-req", "-in", "int.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-set_serial", "7001", "-days", "30", "-extfile", "ext.cnf", "-extensions", "v3_ca", "-out", "int.pem"]);
  openssl(dir, ["req", "-new", ...ec, "-subj", "/CN=via-intermediate", "-keyout", "leaf-key.pem", "-out", "leaf.csr"]);
  openssl(dir, ["x509", "-req", "-in", "leaf.csr", "-CA", "int.pem", "-CAkey", "int-key.pem", "-set_serial", "7002", "-days", "30", "-extfile", "ext.cnf", "-extensions", "client", "-out", "leaf.pem"]);
  return { intermediate: x509(join(dir, "int.pem")), leaf: x509(join(dir, "leaf.pem")) };
}
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("chainError", () => {
  test("a certificate the CA signed verifies", () => {
    expect(chainError(x509(certs.client.cert), [], [ca])).toBeNull();
  });

  test("a certificate from another CA does not, with OpenSSL's code", () => {
    expect(chainError(x509(certs.untrusted.cert), [], [ca])).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  test("any certificate of a ca_file bundle is an anchor", () => {
    const bundle = parseBundle(X509Certificate, pem(certs.untrustedCa) + pem(certs.ca));
    expect(bundle).toHaveLength(2);
    expect(chainError(x509(certs.untrusted.cert), [], bundle)).toBeNull();
    expect(chainError(x509(certs.client.cert), [], bundle)).toBeNull();
  });

  test("a leaf outside its validity dates is refused even when the CA signed it", () => {
    const leaf = x509(certs.client.cert);
    expect(chainError(leaf, [], [ca], new Date(Date.parse(leaf.validTo) + 1000))).toBe("CERT_HAS_EXPIRED");
    expect(chainError(leaf, [], [ca], new Date(Date.parse(leaf.validFrom) - 1000))).toBe("CERT_NOT_YET_VALID");
  });

  test("an intermediate the client presents is followed to the CA; without it the leaf does not verify", () => {
    const { intermediate, leaf } = intermediateChain();
    expect(chainError(leaf, [intermediate], [ca])).toBeNull();
    expect(chainError(leaf, [], [ca])).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    expect(chainError(leaf, [intermediate], [other])).toBe("UNABLE_TO_GET_ISSUER_CERT_LOCALLY");
    // An intermediate in ca_file is an anchor on its own, as in Go.
    expect(chainError(leaf, [], [intermediate])).toBeNull();
  });
});

describe("peerIdentities", () => {
  test("subject RDNs in certificate order and the SAN's emails and DNS names", () => {
    const id = peerIdentities(x509(certs.email.cert));
    expect(id.subject).toEqual(["CN=derek"]);
    expect(id.emails[0]).toBe(EMAIL_IDENTITY);
    expect(id.dns).toEqual(["localhost"]);
    expect(peerIdentities(x509(certs.dn.cert)).subject).toEqual(["OU=CNCF", "CN=example.com"]);
  });
});
