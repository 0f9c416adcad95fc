/** The slice of Deno's API that natsedge uses, declared by hand so type checks do not need Deno's types. */
export interface DenoConn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
  setNoDelay(on?: boolean): void;
  readonly remoteAddr: { hostname: string; port: number };
}

export interface DenoListener extends AsyncIterable<DenoConn> {
  readonly addr: { hostname: string; port: number };
  close(): void;
}

export interface DenoHttpServer {
  shutdown(): Promise<void>;
}

export interface DenoServeOptions {
  hostname: string;
  port: number;
  cert?: string;
  key?: string;
  onListen(addr: { hostname: string; port: number }): void;
}

/** The WHATWG WebSocket as Deno.upgradeWebSocket returns it, server side. */
export interface DenoWebSocket {
  binaryType: "arraybuffer" | "blob";
  readonly bufferedAmount: number;
  onopen: (() => void) | null;
  onmessage: ((e: { data: ArrayBuffer | string }) => void) | null;
  onclose: (() => void) | null;
  onerror: (() => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export interface DenoServeHandlerInfo {
  remoteAddr: { hostname: string; port: number };
}

export interface DenoNamespace {
  version: { deno: string };
  listen(opts: { hostname: string; port: number; transport: "tcp" }): DenoListener;
  serve(opts: DenoServeOptions, handler: (req: Request, info: DenoServeHandlerInfo) => Response | Promise<Response>): DenoHttpServer;
  upgradeWebSocket(req: Request, opts?: { idleTimeout?: number }): { socket: DenoWebSocket; response: Response };
}
