/**
 * The upgrade request checks nats-server makes before switching protocols (wsUpgrade), in its order and
 * words; the runtime then performs the upgrade itself.
 */
import type { OriginPolicy } from "./origin.ts";

/** True when the comma-separated header value lists `token` (case-insensitive). */
function hasToken(value: string | null, token: string): boolean {
  if (value === null) return false;
  return value.split(",").some((t) => t.trim().toLowerCase() === token);
}

function validKey(key: string | null): boolean {
  if (key === null) return false;
  try {
    return atob(key).length === 16;
  } catch {
    return false;
  }
}

/** What the checks read of a request. */
export interface UpgradeHead {
  method: string;
  headers: Headers;
}

/** The refusal of an upgrade request: HTTP status and reason, or null to upgrade. */
export function refusal(req: UpgradeHead, origins: OriginPolicy, tls: boolean): [number, string] | null {
  const h = req.headers;
  if (req.method !== "GET") return [405, "request method must be GET"];
  const host = h.get("host");
  if (host === null || host === "") return [400, "'Host' missing in request"];
  if (!hasToken(h.get("upgrade"), "websocket")) return [400, "invalid value for header 'Upgrade'"];
  if (!hasToken(h.get("connection"), "upgrade")) return [400, "invalid value for header 'Connection'"];
  const key = h.get("sec-websocket-key");
  if (key === null || key === "") return [400, "key missing"];
  if (!validKey(key)) return [400, "invalid websocket key"];
  if (!hasToken(h.get("sec-websocket-version"), "13")) return [400, "invalid version"];
  const why = origins.refuse(h.get("origin") ?? h.get("sec-websocket-origin"), host, tls);
  if (why !== null) return [403, `origin not allowed: ${why}`];
  return null;
}
