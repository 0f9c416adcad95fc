/**
 * nats-server's -ERR texts, verbatim (server/errors.go, server/client.go). Clients match some of them
 * (e.g. nats.js maps "authorization violation" to AuthorizationError), so they must not be reworded.
 */
export const ERR = {
  unknownProtocolOperation: "Unknown Protocol Operation",
  authorizationViolation: "Authorization Violation",
  authenticationTimeout: "Authentication Timeout",
  userExpired: "User Authentication Expired",
  userRevoked: "User Authentication Revoked",
  accountExpired: "Account Authentication Expired",
  maxPayloadViolation: "Maximum Payload Violation",
  maxControlLine: "maximum control line exceeded",
  maxConnections: "maximum connections exceeded",
  maxAccountConnections: "maximum account active connections exceeded",
  maxSubscriptions: "maximum subscriptions exceeded",
  staleConnection: "Stale Connection",
  invalidSubject: "Invalid Subject",
  invalidPublishSubject: "Invalid Publish Subject",
  invalidClientProtocol: "invalid client protocol",
  noRespondersRequiresHeaders: "no responders requires headers support",
  secureConnectionRequired: "Secure Connection - TLS Required",
  leafWrongPort: "attempted to connect to leaf node port",
  staleLeaf: "Stale Leaf Node Connection - Closing",
  duplicateLeaf: "Duplicate Remote LeafNode Connection",
  routeWrongPort: "Attempted To Connect To Route Port",
  leafSameCluster: "remote leafnode has same cluster name",
} as const;

/** nats-server's loop-detection error and log text (leafnode.go, ErrLeafNodeLoop's message). */
export function leafLoopError(account: string): string {
  return `Loop detected for leafnode account=${JSON.stringify(account)}. Delaying attempt to reconnect for 30s`;
}

/**
 * A protocol error found while parsing or processing a client's input.
 * `wire` is the text to send as -ERR (null: close without -ERR, as nats-server does for malformed arguments);
 * `fatal` closes the connection; `detail` is for the log only.
 */
export class ProtocolError extends Error {
  constructor(readonly wire: string | null, readonly fatal: boolean, readonly detail?: string) {
    super(detail ?? wire ?? "protocol error");
    this.name = "ProtocolError";
  }
}
