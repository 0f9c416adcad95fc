/** CONNECT handling: nats-server's ClientOpts defaults and checks (server/client.go processConnect). */
import { ERR, ProtocolError } from "./errors.ts";

export interface ConnectOptions {
  verbose: boolean;
  pedantic: boolean;
  echo: boolean;
  headers: boolean;
  noResponders: boolean;
  protocol: number;
  name?: string;
  lang?: string;
  version?: string;
  /** Credentials: never logged, never echoed. */
  user?: string;
  pass?: string;
  auth_token?: string;
  nkey?: string;
  sig?: string;
  jwt?: string;
  tls_required?: boolean;
}

/** The highest client protocol nats-server knows (ClientProtoInfo: the client understands async INFO). */
const CLIENT_PROTO_INFO = 1;

/**
 * A CONNECT argument (of a client, leaf or route; `op` is nats-server's function, for the log) as a JSON object.
 * `null` is an empty one, as Go's json.Unmarshal of null leaves the struct as it was; anything else that is not
 * an object closes the connection without -ERR, as nats-server does.
 */
export function connectObject(arg: string, op: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(arg);
  } catch {
    v = undefined;
  }
  if (v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new ProtocolError(null, true, `${op}: CONNECT argument is not a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * Applies a CONNECT JSON to the current options (only the fields present change, like Go's json.Unmarshal into
 * the existing struct). Throws for JSON it cannot read (closed without -ERR, as nats-server does).
 */
export function parseConnect(arg: string, current: ConnectOptions, noHeaderSupport: boolean): ConnectOptions {
  const j = connectObject(arg, "processConnect");
  const next: ConnectOptions = { ...current };
  const bool = (k: string): boolean | undefined => (typeof j[k] === "boolean" ? (j[k] as boolean) : undefined);
  const str = (k: string): string | undefined => (typeof j[k] === "string" ? (j[k] as string) : undefined);
  next.verbose = bool("verbose") ?? next.verbose;
  next.pedantic = bool("pedantic") ?? next.pedantic;
  next.echo = bool("echo") ?? next.echo;
  next.headers = (bool("headers") ?? next.headers) && !noHeaderSupport;
  next.noResponders = bool("no_responders") ?? next.noResponders;
  next.tls_required = bool("tls_required") ?? next.tls_required;
  if (typeof j.protocol === "number") next.protocol = j.protocol;
  next.name = str("name") ?? next.name;
  next.lang = str("lang") ?? next.lang;
  next.version = str("version") ?? next.version;
  next.user = str("user") ?? next.user;
  next.pass = str("pass") ?? next.pass;
  next.auth_token = str("auth_token") ?? next.auth_token;
  next.nkey = str("nkey") ?? next.nkey;
  next.sig = str("sig") ?? next.sig;
  next.jwt = str("jwt") ?? next.jwt;
  return next;
}

/**
 * The -ERR text for a CONNECT nats-server refuses after authentication (it checks credentials first), or
 * null when the options are acceptable.
 */
export function connectError(o: ConnectOptions): string | null {
  if (o.protocol < 0 || o.protocol > CLIENT_PROTO_INFO) return ERR.invalidClientProtocol;
  if (o.noResponders && !o.headers) return ERR.noRespondersRequiresHeaders;
  return null;
}

/** CONNECT JSON for the trace log, with every credential replaced (nats-server's removePassFromTrace). */
export function redactConnect(arg: string): string {
  return arg.replace(/("(?:pass|auth_token|sig|jwt)"\s*:\s*)"(?:[^"\\]|\\.)*"/g, '$1"[REDACTED]"');
}
