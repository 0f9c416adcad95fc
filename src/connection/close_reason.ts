/** Why a connection closed, in nats-server's words (ClosedState strings in /connz). */
export const CloseReason = {
  clientClosed: "Client Closed",
  protocolViolation: "Protocol Violation",
  authViolation: "Authentication Failure",
  authTimeout: "Authentication Timeout",
  slowConsumerPending: "Slow Consumer (Pending Bytes)",
  slowConsumerDeadline: "Slow Consumer (Write Deadline)",
  staleConnection: "Stale Connection",
  tlsHandshakeError: "TLS Handshake Failure",
  maxPayload: "Maximum Message Payload Exceeded",
  maxControlLine: "Maximum Control Line Exceeded",
  maxConnections: "Maximum Connections Exceeded",
  parseError: "Parse Error",
  serverShutdown: "Server Shutdown",
  wrongPort: "Incorrect Port",
  duplicateLeaf: "Duplicate Remote LeafNode Connection",
  minVersion: "Minimum Version Required",
  duplicateClientId: "Duplicate Client ID",
} as const;
export type CloseReason = (typeof CloseReason)[keyof typeof CloseReason];
