/** An MQTT connection as /connz lists it: nats-server's ConnInfo with `mqtt_client`, the MQTT client ID. */
import type { ConnSnapshot } from "../monitor/conn_info.ts";
import { tlsVersionNumber } from "../config/tls_config.ts";
import { clientTypeName } from "../protocol/kind.ts";
import type { MqttConn } from "./client.ts";

export function mqttSnapshot(c: MqttConn, stop = 0): ConnSnapshot {
  const l = c.link;
  return {
    cid: l.cid,
    type: clientTypeName(l.clientType),
    ip: l.conn.remoteAddress,
    port: l.conn.remotePort,
    start: l.start,
    last: l.lastIn || l.start,
    stop,
    reason: stop > 0 ? (l.closeReason ?? "") : "",
    pending: l.out.pending,
    inMsgs: l.inMsgs,
    outMsgs: l.outMsgs,
    inBytes: l.inBytes,
    outBytes: l.outBytes,
    numSubs: c.session?.subscriptionCount ?? 0,
    name: "",
    lang: "",
    version: "",
    tlsVersion: l.tls ? tlsVersionNumber(l.tls.version) : "",
    tlsCipher: l.tls?.cipher ?? "",
    user: c.user,
    subs: [],
    mqttClient: c.clientId,
  };
}
