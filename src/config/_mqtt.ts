/**
 * `mqtt {}` (nats-server 2.9's parseMQTT). Keys natsedge does not apply yet are refused by name rather than
 * accepted and ignored: each one changes security or delivery (TLS, the listener's own credentials, where
 * QoS 1 state lives).
 */
import type { MqttOptions } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { aliases, fail, hostPort, int, kindName, port, str, walk } from "./_read.ts";

/** nats-server's limit on max_ack_pending (packet identifiers are 16 bits). */
const MAX_ACK_PENDING_LIMIT = 0xffff;

const NOT_APPLIED = [
  "tls",
  "authorization",
  "authentication",
  "no_auth_user",
  "ack_wait",
  "ackwait",
  "js_domain",
  "stream_replicas",
  "consumer_replicas",
  "consumer_memory_storage",
  "consumer_inactive_threshold",
  "consumer_auto_cleanup",
];

export function mqttFromConf(node: ConfNode, key: string): MqttOptions {
  if (node.kind !== "map") throw fail(node, key, `Expected mqtt to be a map, got ${kindName(node)}`);
  const m: MqttOptions = {};
  walk(node.value, {
    listen: (n, k) => {
      const hp = hostPort(n, k);
      if (hp.host !== undefined) m.host = hp.host;
      m.port = hp.port;
    },
    port: (n, k) => {
      m.port = port(n, k);
    },
    ...aliases(["host", "net"], (n, k) => {
      m.host = str(n, k);
    }),
    ...aliases(["max_ack_pending", "max_pending", "max_inflight"], (n, k) => {
      const v = int(n, k);
      if (v < 0 || v > MAX_ACK_PENDING_LIMIT) throw fail(n, k, `invalid value ${v}, should be in [0..${MAX_ACK_PENDING_LIMIT}] range`);
      m.max_ack_pending = v;
    }),
    ...aliases(NOT_APPLIED, (n, k) => {
      throw fail(n, k, `mqtt.${k.toLowerCase()} is not supported by natsedge yet`);
    }),
  });
  return m;
}
