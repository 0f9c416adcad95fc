/**
 * A client certificate, as node:crypto's X509Certificate parses it, turned into what verify_and_map needs;
 * and the chain check for the TLS stacks that request a certificate without verifying it (Deno's node:tls).
 * Both Bun and Deno provide node:crypto; the caller loads it (it costs idle memory a plain server should not pay).
 */
import type { X509Certificate } from "node:crypto";
import type { PeerCertificate } from "./types.ts";

export function peerIdentities(x: X509Certificate): PeerCertificate {
  const san = (x.subjectAltName ?? "").split(/,\s*/).filter((e) => e.length > 0);
  const pick = (prefix: string) => san.filter((e) => e.startsWith(prefix)).map((e) => e.slice(prefix.length));
  return { subject: x.subject.split("\n").filter((r) => r.length > 0), emails: pick("email:"), dns: pick("DNS:"), uris: pick("URI:") };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle (ca_file may hold several). */
export function parseBundle(X509: typeof X509Certificate, pem: string): X509Certificate[] {
  return (pem.match(PEM_CERT) ?? []).map((block) => new X509(block));
}

/** Longest chain followed from the leaf to a trusted certificate, as Go's default for verification. */
const MAX_DEPTH = 8;

function validity(x: X509Certificate, now: Date): string | null {
  if (now < new Date(x.validFrom)) return "CERT_NOT_YET_VALID";
  if (now > new Date(x.validTo)) return "CERT_HAS_EXPIRED";
  return null;
}

/**
 * Why `leaf` does not chain to one of `trusted` (OpenSSL's error code, as Bun reports it), or null when it
 * does. As in Go's crypto/x509, any certificate in ca_file is an anchor; `presented` are the intermediates
 * the client sent after its leaf.
 */
export function chainError(leaf: X509Certificate, presented: X509Certificate[], trusted: X509Certificate[], now = new Date()): string | null {
  let cur = leaf;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const bad = validity(cur, now);
    if (bad !== null) return bad;
    const signedBy = (c: X509Certificate) => cur.checkIssued(c) && cur.verify(c.publicKey);
    const anchor = trusted.find(signedBy);
    if (anchor !== undefined) return validity(anchor, now);
    const next = presented.find((c) => c !== cur && c.ca && signedBy(c));
    if (next === undefined) return depth === 0 ? "UNABLE_TO_VERIFY_LEAF_SIGNATURE" : "UNABLE_TO_GET_ISSUER_CERT_LOCALLY";
    cur = next;
  }
  return "CERT_CHAIN_TOO_LONG";
}
