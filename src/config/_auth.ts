/**
 * `authorization {}` blocks, user lists and permissions: nats-server's parseAuthorization, parseUsers,
 * parseUserPermissions and parseLeafAuthorization. Error texts are nats-server's.
 */
import { decodeNkey, NkeyPrefix } from "../protocol/nkey_codec.ts";
import type { AuthorizationOptions, Permissions, ResponsePermission, SubjectPermission, UserEntry } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { aliases, fail, type Handler, int, kindName, str, strings, timeout, type Warn, walk } from "./_read.ts";
import { parseGoDuration } from "./_duration.ts";

// nats-server's DEFAULT_ALLOW_RESPONSE_MAX_MSGS and DEFAULT_ALLOW_RESPONSE_EXPIRATION.
const DEFAULT_RESPONSES: ResponsePermission = { max: 1, expires: 2 * 60 * 1000 };
// Above this an auth timeout was most likely meant as a duration: unquoted `1m` is a million seconds.
const HIGH_TIMEOUT_MS = 60 * 1000;
const CONNECTION_TYPES = ["STANDARD", "WEBSOCKET", "LEAFNODE", "LEAFNODE_WS", "MQTT", "MQTT_WS", "IN_PROCESS"];
const permissionsUnknown = (k: string) => `Unknown field "${k}" parsing permissions`;

export function authorizationFromConf(node: ConfNode, key: string, warn: Warn): AuthorizationOptions {
  const auth: AuthorizationOptions = {};
  walk(mapOf(node, key), {
    ...credentialHandlers(auth),
    token: (n, k) => {
      auth.token = str(n, k);
    },
    timeout: (n, k) => {
      auth.timeout = authTimeout(n, k, warn);
    },
    users: (n, k) => {
      auth.users = usersFromConf(n, k, "client");
    },
    ...aliases(["default_permission", "default_permissions", "permissions"], (n, k) => {
      auth.default_permissions = permissionsFromConf(n, k);
    }),
  });
  if ((auth.user !== undefined || auth.password !== undefined) && auth.token !== undefined) {
    throw fail(node, key, "Cannot have a user/pass and token");
  }
  if (auth.users !== undefined && auth.user !== undefined) {
    throw fail(node, key, "Can not have a single user/pass and a users array");
  }
  if (auth.users !== undefined && auth.token !== undefined) throw fail(node, key, "Can not have a token and a users array");
  const defaults = auth.default_permissions;
  if (defaults !== undefined) for (const u of auth.users ?? []) u.permissions ??= defaults;
  return auth;
}

/** The leafnode listener's `authorization {}`: single user or users with an account, no token or nkeys. */
export function leafAuthorizationFromConf(node: ConfNode, key: string, warn: Warn): AuthorizationOptions {
  const auth: AuthorizationOptions = {};
  walk(mapOf(node, key), {
    ...credentialHandlers(auth),
    timeout: (n, k) => {
      auth.timeout = authTimeout(n, k, warn);
    },
    users: (n, k) => {
      auth.users = usersFromConf(n, k, "leaf");
    },
    account: (n, k) => {
      auth.account = str(n, k);
    },
  });
  if (auth.users !== undefined && auth.user !== undefined) {
    throw fail(node, key, "can not have a single user/pass and a users array");
  }
  return auth;
}

function mapOf(node: ConfNode, key: string) {
  if (node.kind !== "map") throw fail(node, key, `Expected authorization to be a map/struct, got ${kindName(node)}`);
  return node.value;
}

function credentialHandlers(target: { user?: string; password?: string }): Record<string, Handler> {
  return {
    ...aliases(["user", "username"], (n, k) => {
      target.user = str(n, k);
    }),
    ...aliases(["pass", "password"], (n, k) => {
      target.password = str(n, k);
    }),
  };
}

function authTimeout(node: ConfNode, key: string, warn: Warn): number {
  const ms = timeout(node, key, "authorization");
  if (ms > HIGH_TIMEOUT_MS) {
    const written = node.kind === "string" ? JSON.stringify(node.value) : String(node.value);
    warn(
      node,
      key.toLowerCase(),
      `timeout of ${written} (${ms / 1000} seconds) is high, consider keeping it under 60 seconds; ` +
        `possibly caused by unquoted duration, use '1m' instead of 1m`,
    );
  }
  return ms;
}

function userHandlers(u: UserEntry): Record<string, Handler> {
  return {
    ...credentialHandlers(u),
    nkey: (n, k) => {
      u.nkey = str(n, k);
    },
    ...aliases(["permission", "permissions", "authorization"], (n, k) => {
      u.permissions = permissionsFromConf(n, k);
    }),
    ...aliases(["allowed_connection_types", "connection_types", "clients"], (n, k) => {
      u.allowed_connection_types = connectionTypes(n, k);
    }),
  };
}

function leafUserHandlers(u: UserEntry): Record<string, Handler> {
  return {
    ...credentialHandlers(u),
    account: (n, k) => {
      u.account = str(n, k);
    },
  };
}

/** Client users may be nkeys and carry permissions; leafnode users only have credentials and an account. */
export function usersFromConf(node: ConfNode, key: string, kind: "client" | "leaf"): UserEntry[] {
  if (node.kind !== "array") throw fail(node, key, `Expected users field to be an array, got ${kindName(node)}`);
  const seen = new Set<string>();
  return node.value.map((entry) => {
    if (entry.kind !== "map") throw fail(entry, key, `Expected user entry to be a map/struct, got ${kindName(entry)}`);
    const u: UserEntry = {};
    walk(entry.value, kind === "client" ? userHandlers(u) : leafUserHandlers(u));
    if (kind === "client" && u.nkey === undefined && u.user === undefined) {
      throw fail(entry, key, "User entry requires a user");
    }
    if (u.nkey !== undefined) {
      if (!isUserNkey(u.nkey)) throw fail(entry, key, "Not a valid public nkey for a user");
      if (u.user !== undefined || u.password !== undefined) {
        throw fail(entry, key, "Nkey users do not take usernames or passwords");
      }
    }
    const id = u.nkey ?? u.user ?? "";
    if (seen.has(id)) throw fail(entry, key, `Duplicate ${u.nkey === undefined ? "user" : "nkey"} "${id}" detected`);
    seen.add(id);
    return u;
  });
}

function isUserNkey(nkey: string): boolean {
  return decodeNkey(NkeyPrefix.User, nkey) !== null;
}

function connectionTypes(node: ConfNode, key: string): string[] {
  const types = strings(node, key).map((t) => t.toUpperCase());
  const unknown = types.filter((t) => !CONNECTION_TYPES.includes(t));
  if (unknown.length > 0) throw fail(node, key, `invalid connection types [${unknown.map((t) => JSON.stringify(t)).join(" ")}]`);
  return types;
}

export function permissionsFromConf(node: ConfNode, key: string): Permissions {
  if (node.kind !== "map") throw fail(node, key, `Expected permissions to be a map/struct, got ${kindName(node)}`);
  const p: Permissions = {};
  walk(
    node.value,
    {
      ...aliases(["pub", "publish", "import"], (n, k) => {
        p.publish = subjectPermission(n, k);
      }),
      ...aliases(["sub", "subscribe", "export"], (n, k) => {
        p.subscribe = subjectPermission(n, k);
      }),
      ...aliases(["publish_allow_responses", "allow_responses"], (n, k) => {
        p.allow_responses = responsePermission(n, k);
      }),
    },
    permissionsUnknown,
  );
  // Allowing responses without a publish allow list turns publishing off except for replies.
  if (p.allow_responses !== undefined) {
    p.publish ??= {};
    p.publish.allow ??= [];
  }
  return p;
}

/** A subject, a list of subjects (an allow list), or `{ allow, deny }`. */
function subjectPermission(node: ConfNode, key: string): SubjectPermission | undefined {
  if (node.kind !== "map") return { allow: subjects(node, key) };
  if (node.value.size === 0) return undefined;
  const sp: SubjectPermission = {};
  walk(
    node.value,
    {
      allow: (n, k) => {
        sp.allow = subjects(n, k);
      },
      deny: (n, k) => {
        sp.deny = subjects(n, k);
      },
    },
    (k) => `Unknown field name "${k}" parsing subject permissions, only 'allow' or 'deny' are permitted`,
  );
  return sp;
}

function subjects(node: ConfNode, key: string): string[] {
  let all: string[];
  if (node.kind === "string") all = [node.value];
  else if (node.kind === "array") {
    all = node.value.map((item) => {
      if (item.kind !== "string") throw fail(item, key, "Subject in permissions array cannot be cast to string");
      return item.value;
    });
  } else {
    throw fail(node, key, `Expected subject permissions to be a subject, or array of subjects, got ${kindName(node)}`);
  }
  for (const s of all) {
    if (isValidSubject(s)) continue;
    // A subscribe permission may name a queue group: "subject queue".
    const fields = s.trim().split(/\s+/);
    if (fields.length !== 2) throw fail(node, key, `subject ${JSON.stringify(s)} is not a valid subject`);
    if (!isValidSubject(fields[0])) throw fail(node, key, `subject ${JSON.stringify(fields[0])} is not a valid subject`);
  }
  return all;
}

/** nats-server's IsValidSubject: non-empty tokens without whitespace, `>` only as the last token. */
export function isValidSubject(subject: string): boolean {
  if (subject === "") return false;
  const tokens = subject.split(".");
  return tokens.every((t, i) => t !== "" && !/[\t\n\f\r ]/.test(t) && (t !== ">" || i === tokens.length - 1));
}

/** `true`, or `{ max, expires }`; zero values keep the defaults (1 message, 2 minutes). */
function responsePermission(node: ConfNode, key: string): ResponsePermission | undefined {
  if (node.kind === "bool") return node.value ? { ...DEFAULT_RESPONSES } : undefined;
  if (node.kind !== "map") throw fail(node, key, "error parsing response permissions, expected a boolean or a map");
  const rp = { ...DEFAULT_RESPONSES };
  walk(
    node.value,
    {
      ...aliases(["max", "max_msgs", "max_messages", "max_responses"], (n, k) => {
        rp.max = int(n, k) || rp.max;
      }),
      ...aliases(["expires", "expiration", "ttl"], (n, k) => {
        if (n.kind !== "string") throw fail(n, k, "error parsing expires, not a duration string");
        try {
          rp.expires = parseGoDuration(n.value) || rp.expires;
        } catch (e) {
          throw fail(n, k, `error parsing expires: ${(e as Error).message}`);
        }
      }),
    },
    permissionsUnknown,
  );
  return rp;
}
