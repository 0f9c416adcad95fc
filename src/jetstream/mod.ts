/** JetStream: the only import target for code outside src/jetstream. */
export { JetStream, type JetStreamHost } from "./engine.ts";
export { JetStreamService, type JetStreamServerHost } from "./accounts.ts";
