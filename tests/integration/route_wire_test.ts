/**
 * The route protocol on the wire, against a raw socket playing a 2.9.10 peer: the accepting side's INFO,
 * RS+ lines for $G with queue weights (a group of two as one `RS+ $G q.subj grp 2`), RS- on the last
 * unsubscribe, RMSG in with a queue list delivering to that group only, RMSG out with the queue picked,
 * and a client's CONNECT on the route port refused.
 */
import { describe, expect, test } from "bun:test";
import { client, RawConn, runServer } from "../_helpers/server.ts";
import { useCleanup } from "../_helpers/scope.ts";
import { edgeClusterPort, edgeRoutez } from "../_helpers/route.ts";
import { until } from "../_helpers/leaf.ts";

const own = useCleanup();

const PEER_ID = "NPEERPEERPEERPEERPEERPEERPEERPEERPEERPEERPEERPEERPEER";

describe("route wire protocol", () => {
  test("INFO, RS+/RS- with weights, RMSG both ways", async () => {
    const srv = own(await runServer({ config: `server_name: edge\ncluster {\n name: wire\n listen: "127.0.0.1:-1"\n}` }));
    const nc = own(await client(srv));
    nc.subscribe("plain");
    nc.subscribe("q.subj", { queue: "grp" });
    nc.subscribe("q.subj", { queue: "grp" });
    const got: string[] = [];
    nc.subscribe("in.>", { queue: "other", callback: (_e, m) => void got.push(`other:${m.string()}`) });
    nc.subscribe("in.>", { callback: (_e, m) => void got.push(`plain:${m.string()}`) });
    await nc.flush();

    const raw = own(await RawConn.open(edgeClusterPort(srv)));
    const info = await raw.waitFor(/INFO (\{.*\}) ?\r\n/);
    const j = JSON.parse(/INFO (\{.*\}) ?\r\n/.exec(info)![1]!) as Record<string, unknown>;
    expect(j.cluster).toBe("wire");
    expect(j.server_name).toBe("edge");
    expect(j.connect_urls).toEqual([srv.url]);
    expect(j.proto).toBe(2);
    raw.send(`CONNECT {"echo":true,"verbose":false,"pedantic":false,"tls_required":false,"headers":true,"name":"${PEER_ID}","cluster":"wire","dynamic":false,"lnoc":true}\r\n`);
    raw.send(`INFO {"server_id":"${PEER_ID}","server_name":"peer","version":"2.9.10","proto":2,"host":"127.0.0.1","port":4999,"headers":true,"max_payload":1048576,"cluster":"wire","lnoc":true}\r\n`);
    await raw.waitFor("RS+ $G q.subj grp 2\r\n");
    await raw.waitFor("RS+ $G plain\r\n");
    await until(() => edgeRoutez(srv).length === 1, "the route registered");

    // In with a queue list: the named group and the plain subscriber, not the other group.
    raw.send("RMSG $G in.x | nosuch 2\r\nhi\r\nRMSG $G in.y 3\r\nbye\r\n");
    await until(() => got.length === 2, "the routed messages");
    await nc.flush();
    expect(got).toEqual(["plain:hi", "plain:bye"]);
    raw.send("RMSG $G in.z | other 1\r\nq\r\n");
    await until(() => got.length === 4, "the queue message");
    expect(got.slice(2).sort()).toEqual(["other:q", "plain:q"]);

    // Out: our client publishes to the peer's queue group.
    raw.send("RS+ $G far peerq 1\r\nPING\r\n");
    await raw.waitFor("PONG\r\n");
    nc.publish("far", "x", { reply: "r.1" });
    await raw.waitFor("RMSG $G far + r.1 peerq 1\r\nx\r\n");
    // Route traffic counts in the server's totals: three RMSGs in and the client's PUB; out, the client's
    // four deliveries and the RMSG.
    expect(srv.server.lifecycle.totals()).toMatchObject({ inMsgs: 4, outMsgs: 5 });

    const sub = nc.subscribe("gone");
    await nc.flush();
    await raw.waitFor("RS+ $G gone\r\n");
    sub.unsubscribe();
    await nc.flush();
    await raw.waitFor("RS- $G gone\r\n");
    const qs = nc.subscribe(">", { queue: "q2" });
    await nc.flush();
    await raw.waitFor("RS+ $G > q2 1\r\n");
    qs.unsubscribe();
    await nc.flush();
    await raw.waitFor("RS- $G > q2\r\n");
  });

  test("a client's CONNECT on the route port is refused", async () => {
    const srv = own(await runServer({ config: `cluster {\n name: wire\n listen: "127.0.0.1:-1"\n}` }));
    const raw = own(await RawConn.open(edgeClusterPort(srv)));
    await raw.waitFor("INFO ");
    raw.send(`CONNECT {"lang":"go","version":"1.0","verbose":false}\r\n`);
    await raw.waitFor("-ERR");
    await raw.waitClosed();
  });
});
