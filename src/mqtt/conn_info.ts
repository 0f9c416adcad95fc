/** An MQTT connection as /connz lists it: nats-server's ConnInfo with `mqtt_client`, the MQTT client ID. */
import { type ConnSnapshot, linkSnapshot } from "../monitor/conn_info.ts";
import type { MqttConn } from "./client.ts";

export function mqttSnapshot(c: MqttConn, stop = 0): ConnSnapshot {
  return {
    ...linkSnapshot(c.link, stop),
    numSubs: c.session?.subscriptionCount ?? 0,
    name: "",
    lang: "",
    version: "",
    user: c.user,
    subs: [],
    mqttClient: c.clientId,
  };
}
