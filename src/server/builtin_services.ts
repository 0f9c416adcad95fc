/**
 * The services natsedge has today, in start order; each module is imported only when its options enable it.
 */
import type { JetStreamService } from "../jetstream/mod.ts";
import type { LeafNodes } from "../leaf/mod.ts";
import type { Monitor } from "../monitor/monitor.ts";
import type { Routes } from "../route/mod.ts";
import type { SystemServices } from "../sys/mod.ts";
import type { MqttService } from "../mqtt/service.ts";
import type { StanServer } from "../stan/mod.ts";
import type { Server } from "./server.ts";
import type { ServiceSpec } from "./services.ts";
import type { WebSocketService } from "../websocket/service.ts";

export const JETSTREAM: ServiceSpec<JetStreamService, Server> = {
  name: "jetstream",
  phase: "core",
  enabled: (o) => o.jetstream?.enabled === true,
  async start(srv) {
    // JetStream and the store are most of natsedge's code and idle memory.
    const { JetStreamService } = await import("../jetstream/mod.ts");
    const js = new JetStreamService(srv, srv.options.jetstream!);
    try {
      await js.start();
    } catch (err) {
      // Streams restored before the failure hold files and subscriptions.
      await js.stop();
      throw err;
    }
    return js;
  },
};

export const STAN: ServiceSpec<StanServer, Server> = {
  name: "stan",
  phase: "core",
  enabled: (o) => o.streaming !== undefined,
  start: async (srv) => (await import("../stan/mod.ts")).startStan(srv, srv.options.streaming!),
};

export const MONITOR: ServiceSpec<Monitor, Server> = {
  name: "monitor",
  phase: "listening",
  enabled: (o) => o.http_port !== undefined || o.https_port !== undefined,
  // hono and every endpoint cost idle memory.
  start: async (srv) => (await import("../monitor/monitor.ts")).startMonitor(srv),
};

export const WEBSOCKET: ServiceSpec<WebSocketService, Server> = {
  name: "websocket",
  phase: "listening",
  enabled: (o) => (o.websocket?.port ?? 0) !== 0,
  start: async (srv) => (await import("../websocket/service.ts")).WebSocketService.start(srv),
};

export const MQTT: ServiceSpec<MqttService, Server> = {
  name: "mqtt",
  phase: "listening",
  enabled: (o) => (o.mqtt?.port ?? 0) !== 0,
  start: async (srv) => (await import("../mqtt/service.ts")).MqttService.start(srv),
};

export const LEAFNODES: ServiceSpec<LeafNodes, Server> = {
  name: "leafnodes",
  // Once the client listener is bound: the leafnode INFO carries the same server fields as a client's.
  phase: "listening",
  enabled: (o) => o.leafnodes !== undefined,
  async start(srv) {
    const { LeafNodes } = await import("../leaf/mod.ts");
    const leaf = new LeafNodes(srv);
    try {
      await leaf.start();
    } catch (err) {
      await leaf.stop();
      throw err;
    }
    return leaf;
  },
};

export const ROUTES: ServiceSpec<Routes, Server> = {
  name: "routes",
  // Once the client listener is bound: a route INFO carries the client URL peers hand to their clients.
  phase: "listening",
  enabled: (o) => o.cluster !== undefined,
  async start(srv) {
    const { Routes } = await import("../route/mod.ts");
    const routes = new Routes(srv);
    try {
      await routes.start();
    } catch (err) {
      await routes.stop();
      throw err;
    }
    return routes;
  },
};

export const SYSTEM: ServiceSpec<SystemServices, Server> = {
  name: "system",
  phase: "listening",
  // Only an accounts {} block or operator mode can put a client in the system account, so only then is anyone there to ask.
  enabled: (o) => (o.accounts !== undefined || (o.operator ?? []).length > 0) && o.no_system_account !== true,
  start: async (srv) => (await import("../sys/mod.ts")).startSystemServices(srv),
};

// The WebSocket, MQTT, leafnode and route listeners before the monitor, which reports their ports.
export const BUILTIN_SERVICES: readonly ServiceSpec<JetStreamService | StanServer | Monitor | WebSocketService | MqttService | LeafNodes | Routes | SystemServices, Server>[] = [
  JETSTREAM,
  STAN,
  WEBSOCKET,
  MQTT,
  LEAFNODES,
  ROUTES,
  SYSTEM,
  MONITOR,
];
