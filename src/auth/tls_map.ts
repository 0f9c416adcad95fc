/**
 * verify_and_map: the user names a client certificate can stand for, in nats-server's order (auth.go
 * checkClientTLSCertSubject): every email SAN, every DNS SAN, every URI SAN, then the subject DN in RFC 2253
 * form (most specific RDN first: `CN=example.com,OU=CNCF`). A configured user that is a DN also matches
 * when it has the same RDNs in another order.
 */
import type { PeerCertificate } from "../runtime/types.ts";

export interface CertIdentities {
  /** Names looked up literally, in order. */
  literal: string[];
  /** The subject's RDNs, normalised, for order-insensitive DN matching. */
  dnRDNs: string[];
}

/** RFC 2253 escaping of an attribute value. */
function escapeValue(v: string): string {
  return v.replace(/([,+"\\<>;])/g, "\\$1").replace(/^([ #])/, "\\$1").replace(/ $/, "\\ ");
}

function normaliseRDN(rdn: string): string {
  const eq = rdn.indexOf("=");
  return eq < 0 ? rdn.trim() : `${rdn.slice(0, eq).trim().toUpperCase()}=${rdn.slice(eq + 1).trim()}`;
}

export function rfc2253(subject: string[]): string {
  return [...subject].reverse().map((rdn) => {
    const eq = rdn.indexOf("=");
    return eq < 0 ? rdn : `${rdn.slice(0, eq)}=${escapeValue(rdn.slice(eq + 1))}`;
  }).join(",");
}

export function certIdentities(peer: PeerCertificate): CertIdentities {
  const literal = [...peer.emails, ...peer.dns, ...peer.uris];
  if (peer.subject.length > 0) literal.push(rfc2253(peer.subject));
  return { literal, dnRDNs: peer.subject.map(normaliseRDN) };
}

/** Splits an RFC 2253 DN at unescaped commas. */
function splitDN(dn: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < dn.length; i++) {
    const ch = dn[i]!;
    if (ch === "\\" && i + 1 < dn.length) {
      cur += dn[++i];
    } else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

/** Does a configured user name, read as a DN, have exactly the certificate's RDNs (in any order)? */
export function dnMatches(name: string, rdns: string[]): boolean {
  if (!name.includes("=") || rdns.length === 0) return false;
  const want = splitDN(name).map(normaliseRDN).sort();
  const have = [...rdns].sort();
  return want.length === have.length && want.every((r, i) => r === have[i]);
}
