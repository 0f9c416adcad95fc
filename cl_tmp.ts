import { connect } from "@nats-io/transport-node";
const a = await connect({ servers: "127.0.0.1:14224", user: "a", pass: "a" });
const b = await connect({ servers: "127.0.0.1:14224", user: "b", pass: "b" });
const c = await connect({ servers: "127.0.0.1:14224", user: "c", pass: "c" });
b.subscribe("x.>", { callback: (_e, m) => console.log("B got", m.subject) });
c.subscribe("x.>", { callback: (_e, m) => console.log("C got", m.subject) });
a.subscribe("s.>", { callback: (_e, m) => m.respond("from A") });
await b.flush(); await c.flush(); await a.flush();
a.publish("x.1", "");
b.publish("x.2", "");
await a.flush(); await b.flush();
try { console.log("C req", (await c.request("s.1", "", { timeout: 500 })).string()); } catch (e) { console.log("C req err", String(e)); }
await new Promise((r) => setTimeout(r, 300));
await a.close(); await b.close(); await c.close();
