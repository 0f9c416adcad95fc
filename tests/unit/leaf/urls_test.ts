import { describe, expect, test } from "bun:test";
import { LeafURLs, parseLeafURL } from "../../../src/leaf/urls.ts";

describe("leaf remote URLs", () => {
  test("a leaf URL defaults to port 7422 and keeps its user info", () => {
    expect(parseLeafURL("nats-leaf://u:p%40ss@hub")).toEqual({ host: "hub", port: 7422, user: "u", pass: "p@ss", gossiped: false, ws: false, path: "" });
  });

  test("a WebSocket URL asks for /leafnode, followed by its own path as nats-server appends it", () => {
    expect(parseLeafURL("ws://hub:8080")).toMatchObject({ host: "hub", port: 8080, ws: true, path: "/leafnode" });
    expect(parseLeafURL("WSS://hub:443/edge")).toMatchObject({ ws: true, path: "/leafnodeedge" });
    // nats-server dials 7422 for a WebSocket URL without a port too.
    expect(parseLeafURL("wss://hub").port).toBe(7422);
    // A scheme's default port written out is the port dialled, not dropped.
    expect(parseLeafURL("wss://u:p@hub:443").port).toBe(443);
    expect(parseLeafURL("ws://[::1]:80/x").port).toBe(80);
  });

  test("advertised URLs of a WebSocket remote are dialled as WebSocket URLs, before the configured ones", () => {
    const urls = new LeafURLs(["wss://u:p@hub.example:443"], false);
    const used = urls.next();
    urls.learn(["10.0.0.2:443", "hub.example:443"], used, "wss");
    const next = urls.next();
    expect(next).toMatchObject({ host: "10.0.0.2", port: 443, ws: true, path: "/leafnode", gossiped: true, user: "u", pass: "p" });
    expect(urls.next()).toBe(used);
  });
});
