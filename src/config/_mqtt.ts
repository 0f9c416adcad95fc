/**
 * `mqtt {}` (nats-server 2.9's parseMQTT, with 2.10's two QoS 2 switches). natsedge keeps MQTT state in its
 * own store on this server, not in JetStream streams that could live elsewhere: `js_domain` and replicas
 * above 1 would change where that state is, so they are refused by name rather than accepted and ignored.
 */
import type { MqttOptions } from "./options.ts";
import type { ConfNode } from "./parser.ts";
import { simpleAuth } from "./_websocket.ts";
import { tlsFromConf } from "./_tls.ts";
import { aliases, bool, duration, fail, hostPort, int, kindName, port, str, type Warn, walk } from "./_read.ts";

/** nats-server's limit on max_ack_pending (packet identifiers are 16 bits). */
const MAX_ACK_PENDING_LIMIT = 0xffff;

export function mqttFromConf(node: ConfNode, key: string, warn: Warn): MqttOptions {
  if (node.kind !== "map") throw fail(node, key, `Expected mqtt to be a map, got ${kindName(node)}`);
  const m: MqttOptions = {};
  const replicas = (n: ConfNode, k: string): number => {
    const v = int(n, k);
    if (v > 1) throw fail(n, k, `mqtt.${k.toLowerCase()} of ${v} is not supported by natsedge: MQTT state is kept on this server only`);
    return v;
  };
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
    tls: (n, k) => {
      m.tls = tlsFromConf(n, k, true);
    },
    ...aliases(["authorization", "authentication"], (n, k) => {
      m.authorization = simpleAuth(n, k);
    }),
    no_auth_user: (n, k) => {
      m.no_auth_user = str(n, k);
    },
    ...aliases(["ack_wait", "ackwait"], (n, k) => {
      const v = duration(n, k, warn);
      if (v < 0) throw fail(n, k, "ack wait must be a positive value");
      m.ack_wait = v;
    }),
    ...aliases(["max_ack_pending", "max_pending", "max_inflight"], (n, k) => {
      const v = int(n, k);
      if (v < 0 || v > MAX_ACK_PENDING_LIMIT) throw fail(n, k, `invalid value ${v}, should be in [0..${MAX_ACK_PENDING_LIMIT}] range`);
      m.max_ack_pending = v;
    }),
    stream_replicas: (n, k) => {
      m.stream_replicas = replicas(n, k);
    },
    consumer_replicas: (n, k) => {
      m.consumer_replicas = replicas(n, k);
    },
    consumer_memory_storage: (n, k) => {
      m.consumer_memory_storage = bool(n, k);
    },
    reject_qos2_publish: (n, k) => {
      m.reject_qos2_publish = bool(n, k);
    },
    downgrade_qos2_subscribe: (n, k) => {
      m.downgrade_qos2_subscribe = bool(n, k);
    },
    ...aliases(["js_domain", "consumer_inactive_threshold", "consumer_auto_cleanup"], (n, k) => {
      throw fail(n, k, `mqtt.${k.toLowerCase()} is not supported by natsedge yet`);
    }),
  });
  return m;
}
