/** The WebSocket close status for the reason a connection closes (nats-server's wsEnqueueCloseMessage, without
 * its 1015 for TLS failures: RFC 6455 forbids sending that status). */

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

export function closeStatus(reason: string): number {
  let status = 1011;
  if (reason === "Client Closed") status = 1000;
  else if (POLICY.has(reason)) status = 1008;
  else if (reason === "Parse Error" || reason === "Protocol Violation" || reason === "Bad Client Protocol Version") status = 1002;
  else if (reason === "Maximum Message Payload Exceeded") status = 1009;
  else if (GOING_AWAY.has(reason)) status = 1001;
  return status;
}
