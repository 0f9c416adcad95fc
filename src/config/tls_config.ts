/**
 * The top-level `tls {}` block turned into what the runtime needs: PEM text read from the files, and Go's
 * cipher suite names mapped to OpenSSL's. Go's cipher_suites only restrict TLS 1.2 (TLS 1.3 suites are
 * fixed), and so does this mapping: TLS 1.3 names are accepted and left out.
 */
import { nodeFs } from "../runtime/lazy_fs.ts";
import type { TLSOptions } from "./options.ts";
import type { TLSClientConfig, TLSServerConfig } from "../runtime/types.ts";

const OPENSSL_CIPHER: Record<string, string> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: "ECDHE-ECDSA-AES128-GCM-SHA256",
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: "ECDHE-RSA-AES128-GCM-SHA256",
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: "ECDHE-ECDSA-AES256-GCM-SHA384",
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: "ECDHE-RSA-AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-RSA-CHACHA20-POLY1305",
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: "ECDHE-ECDSA-CHACHA20-POLY1305",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: "ECDHE-RSA-CHACHA20-POLY1305",
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: "ECDHE-ECDSA-AES128-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: "ECDHE-ECDSA-AES256-SHA",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: "ECDHE-RSA-AES128-SHA",
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: "ECDHE-RSA-AES256-SHA",
  TLS_RSA_WITH_AES_128_CBC_SHA: "AES128-SHA",
  TLS_RSA_WITH_AES_256_CBC_SHA: "AES256-SHA",
  TLS_RSA_WITH_AES_128_GCM_SHA256: "AES128-GCM-SHA256",
  TLS_RSA_WITH_AES_256_GCM_SHA384: "AES256-GCM-SHA384",
  TLS_RSA_WITH_AES_128_CBC_SHA256: "AES128-SHA256",
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: "DES-CBC3-SHA",
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: "ECDHE-RSA-DES-CBC3-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: "ECDHE-ECDSA-AES128-SHA256",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: "ECDHE-RSA-AES128-SHA256",
  TLS_RSA_WITH_RC4_128_SHA: "RC4-SHA",
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: "ECDHE-ECDSA-RC4-SHA",
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: "ECDHE-RSA-RC4-SHA",
};

/**
 * nats-server's default TLS 1.2 suites (server/ciphersuites.go defaultCipherSuites): ECDHE with AES-GCM or
 * ChaCha20-Poly1305 only, so CBC and static-RSA suites are refused unless configured.
 */
const DEFAULT_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/** nats-server's default TLS timeout. */
export const DEFAULT_TLS_TIMEOUT_MS = 2000;

function read(what: string, path: string | undefined): string {
  if (path === undefined) throw new Error(`missing '${what}' in TLS configuration`);
  try {
    return nodeFs().readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`error parsing X509 certificate/key pair: ${what} ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}

/** A dialling side's tls block (a leaf remote's): CA, client certificate and key as PEM, `insecure`. */
export function tlsClientConfig(t: TLSOptions): TLSClientConfig {
  const cfg: TLSClientConfig = {};
  if (t.ca_file !== undefined) cfg.ca = read("ca_file", t.ca_file);
  if (t.cert_file !== undefined) cfg.cert = read("cert_file", t.cert_file);
  if (t.key_file !== undefined) cfg.key = read("key_file", t.key_file);
  if (t.insecure === true) cfg.rejectUnauthorized = false;
  return cfg;
}

export function tlsServerConfig(t: TLSOptions): TLSServerConfig {
  const cfg: TLSServerConfig = {
    cert: read("cert_file", t.cert_file),
    key: read("key_file", t.key_file),
    requestCert: t.verify === true || t.verify_and_map === true,
  };
  if (t.ca_file !== undefined) cfg.ca = read("ca_file", t.ca_file);
  cfg.ciphers = DEFAULT_CIPHERS;
  if (t.cipher_suites !== undefined) {
    const names = t.cipher_suites.map((n) => OPENSSL_CIPHER[n]).filter((n): n is string => n !== undefined);
    if (names.length > 0) cfg.ciphers = names.join(":");
  }
  return cfg;
}

/** The IANA suite name as Go spells it: Go names the ECDHE ChaCha suites without the trailing _SHA256. */
export function goCipherName(iana: string): string {
  return /^TLS_ECDHE_(RSA|ECDSA)_WITH_CHACHA20_POLY1305_SHA256$/.test(iana) ? iana.slice(0, -7) : iana;
}

/** "TLSv1.3" → "1.3", for nats-server's "TLS version 1.3, cipher suite ..." debug line. */
export function tlsVersionNumber(v: string): string {
  return v.replace(/^TLSv/, "");
}
