/** The WebSocket close status for the reason a connection closes (nats-server's wsEnqueueCloseMessage, without
 * its 1015 for TLS failures: RFC 6455 forbids sending that status). */

/** The reason text must fit a control frame's 125 bytes beside the 2-byte status. */
const MAX_REASON = 123;

const POLICY = new Set([
  "Authentication Failure",
  "Authentication Timeout",
  "Slow Consumer (Pending Bytes)",
  "Slow Consumer (Write Deadline)",
  "Maximum Connections Exceeded",
  "Maximum Subscriptions Exceeded",
  "Maximum Control Line Exceeded",
  "Missing Account",
  "Authentication Expired",
  "Credentials Revoked",
]);
const GOING_AWAY = new Set(["Read Error", "Write Error", "Stale Connection", "Server Shutdown"]);

export function closeStatus(reason: string): [number, string] {
  let status = 1011;
  if (reason === "Client Closed") status = 1000;
  else if (POLICY.has(reason)) status = 1008;
  else if (reason === "Parse Error" || reason === "Protocol Violation" || reason === "Bad Client Protocol Version") status = 1002;
  else if (reason === "Maximum Message Payload Exceeded") status = 1009;
  else if (GOING_AWAY.has(reason)) status = 1001;
  return [status, truncate(reason)];
}

function truncate(s: string): string {
  const bytes = new TextEncoder().encode(s);
  if (bytes.length <= MAX_REASON) return s;
  return new TextDecoder().decode(bytes.subarray(0, MAX_REASON - 3)).replace(/\uFFFD$/, "") + "...";
}
