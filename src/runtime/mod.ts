/** Picks the transport for the runtime we are running on. The only place that asks which runtime this is. */
import type { Runtime } from "./types.ts";

export type { Conn, ConnHandler, DialOptions, Listener, ListenOptions, Runtime, TLSClientConfig } from "./types.ts";

export async function detectRuntime(): Promise<Runtime> {
  if ("Bun" in globalThis) return (await import("./bun.ts")).bunRuntime;
  if ("Deno" in globalThis) return (await import("./deno.ts")).denoRuntime;
  throw new Error("natsedge needs Bun or Deno: no supported runtime detected");
}
