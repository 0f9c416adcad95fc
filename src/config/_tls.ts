/** The `tls {}` block (top level, cluster, leafnodes, leaf remotes): nats-server's parseTLS. */
import type { TLSOptions } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { CIPHER_SUITES, CURVE_PREFERENCES } from "./tls_names.ts";
import { aliases, fail, kindName, map, timeout, walk } from "./_read.ts";
import { parseGoDuration } from "./_duration.ts";

const PREFIX = "error parsing tls config,";
// nats-server's DEFAULT_TLS_HANDSHAKE_FIRST_FALLBACK_DELAY, used by `handshake_first: auto`.
const HANDSHAKE_FIRST_FALLBACK_MS = 50;
const PINNED_CERT = /^[a-f0-9]{64}$/;

type FileField = "cert_file" | "key_file" | "ca_file";
type BoolField = "verify" | "insecure";

/**
 * @param clientContext true where TLS faces clients (top level, leafnodes); there nats-server refuses
 *   `verify_cert_and_check_known_urls`, which only makes sense between servers.
 */
export function tlsFromConf(node: ConfNode, key: string, clientContext: boolean): TLSOptions {
  const tls: TLSOptions = {};
  const file = (field: FileField) => (n: ConfNode, k: string) => {
    if (n.kind !== "string") throw fail(n, k, `${PREFIX} expected '${field}' to be filename`);
    tls[field] = n.value;
  };
  const flag = (n: ConfNode, k: string): boolean => {
    if (n.kind !== "bool") throw fail(n, k, `${PREFIX} expected '${k.toLowerCase()}' to be a boolean`);
    return n.value;
  };
  const plainFlag = (field: BoolField) => (n: ConfNode, k: string) => {
    tls[field] = flag(n, k);
  };
  walk(
    map(node, key),
    {
      cert_file: file("cert_file"),
      key_file: file("key_file"),
      ca_file: file("ca_file"),
      insecure: plainFlag("insecure"),
      verify: plainFlag("verify"),
      verify_and_map: (n, k) => {
        tls.verify_and_map = flag(n, k);
        if (tls.verify_and_map) tls.verify = true;
      },
      verify_cert_and_check_known_urls: (n, k) => {
        const on = flag(n, k);
        if (on && clientContext) throw fail(n, k, "verify_cert_and_check_known_urls not supported in this context");
        tls.verify_cert_and_check_known_urls = on;
        if (on) tls.verify = true;
      },
      cipher_suites: (n, k) => {
        tls.cipher_suites = names(n, k, CIPHER_SUITES, "unrecognized cipher");
      },
      curve_preferences: (n, k) => {
        tls.curve_preferences = names(n, k, CURVE_PREFERENCES, "unrecognized curve preference");
      },
      timeout: (n, k) => {
        tls.timeout = timeout(n, k, "tls");
      },
      pinned_certs: (n, k) => {
        const pins = pinnedCerts(n, k);
        if (pins.length > 0) tls.pinned_certs = pins;
      },
      ...aliases(["handshake_first", "first", "immediate"], (n, k) => {
        tls.handshake_first = handshakeFirst(n, k);
      }),
    },
    (k) => `${PREFIX} unknown field [${JSON.stringify(k)}]`,
  );
  if (tls.cert_file !== undefined && tls.key_file === undefined) {
    throw fail(node, key, "missing 'key_file' in TLS configuration");
  }
  if (tls.cert_file === undefined && tls.key_file !== undefined) {
    throw fail(node, key, "missing 'cert_file' in TLS configuration");
  }
  return tls;
}

/** A non-empty list of names from `known`, reported item by item. */
function names(node: ConfNode, key: string, known: readonly string[], unknownPrefix: string): string[] {
  const field = key.toLowerCase();
  if (node.kind !== "array") throw fail(node, key, `${PREFIX} expected '${field}' to be a list, got ${kindName(node)}`);
  if (node.value.length === 0) throw fail(node, key, `${PREFIX} '${field}' cannot be empty`);
  return node.value.map((item) => {
    if (item.kind !== "string") throw fail(item, key, `${PREFIX} expected only names in '${field}', got ${kindName(item)}`);
    if (!known.includes(item.value)) throw fail(item, key, `${unknownPrefix} ${item.value}`);
    return item.value;
  });
}

function pinnedCerts(node: ConfNode, key: string): string[] {
  const what = "hex-encoded sha256 of DER encoded SubjectPublicKeyInfo";
  if (node.kind !== "array") throw fail(node, key, `${PREFIX} expected 'pinned_certs' to be a list of ${what}`);
  return node.value.map((item) => {
    const pin = item.kind === "string" ? item.value.toLowerCase() : "";
    if (!PINNED_CERT.test(pin)) throw fail(item, key, `${PREFIX} 'pinned_certs' key ${pin} does not look like ${what}`);
    return pin;
  });
}

/** true/false, "auto" (TLS first with a 50ms plaintext fallback), or a fallback delay as a duration. */
function handshakeFirst(node: ConfNode, key: string): boolean | number {
  if (node.kind === "bool") return node.value;
  if (node.kind !== "string") throw fail(node, key, `field "${key}" should be a boolean or a string, got ${kindName(node)}`);
  switch (node.value.toLowerCase()) {
    case "true":
    case "on":
      return true;
    case "false":
    case "off":
      return false;
    case "auto":
    case "auto_fallback":
      return HANDSHAKE_FIRST_FALLBACK_MS;
  }
  try {
    return parseGoDuration(node.value);
  } catch {
    throw fail(node, key, `field "${key}"'s value ${JSON.stringify(node.value)} is invalid`);
  }
}
