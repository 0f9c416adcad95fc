/** natsedge's own release. */
export const NATSEDGE_VERSION = "0.1.0";

/**
 * The nats-server version natsedge advertises in INFO. Clients switch protocol features on it (nats.go picks
 * the JetStream consumer-create API at 2.9.0, nats.js enables features by version), so it names the nats-server
 * release whose client-visible behaviour natsedge implements: 2.9.10, the reference server on these machines.
 */
export const ADVERTISED_VERSION = "2.9.10";

/** Client protocol level: 1 means the server may send async INFO. */
export const PROTO = 1;
