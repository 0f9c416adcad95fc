/**
 * Connection kinds and client types as nats-server has them (server/client.go): the parser gates protocol
 * ops by kind, and every connection-kind module (client, leaf, route) and /connz read the same names.
 */
export const Kind = {
  CLIENT: 0,
  ROUTER: 1,
  GATEWAY: 2,
  SYSTEM: 3,
  LEAF: 4,
  JETSTREAM: 5,
  ACCOUNT: 6,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** What kind of client a CLIENT connection is (nats-server's clientType). */
export const ClientType = {
  NATS: 0,
  MQTT: 1,
  WS: 2,
} as const;
export type ClientType = (typeof ClientType)[keyof typeof ClientType];

const KIND_NAMES: Record<Kind, string> = {
  [Kind.CLIENT]: "Client",
  [Kind.ROUTER]: "Router",
  [Kind.GATEWAY]: "Gateway",
  [Kind.SYSTEM]: "System",
  [Kind.LEAF]: "Leafnode",
  [Kind.JETSTREAM]: "JetStream",
  [Kind.ACCOUNT]: "Account",
};

/** nats-server's kindString, used in its log lines ("Leafnode connection created"). */
export function kindName(k: Kind): string {
  return KIND_NAMES[k];
}
