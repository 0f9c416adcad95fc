/** An MQTT connection as /connz lists it: nats-server's ConnInfo with `mqtt_client`, the MQTT client ID. */
import { GLOBAL_ACCOUNT } from "../account/registry.ts";
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
    // MQTT sessions are on the global account (users of other accounts are refused).
    account: GLOBAL_ACCOUNT,
    subs: [],
    mqttClient: c.clientId,
  };
}
