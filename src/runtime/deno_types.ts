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

export interface DenoServeHandlerInfo {
  remoteAddr: { hostname: string; port: number };
}

export interface DenoNamespace {
  version: { deno: string };
  listen(opts: { hostname: string; port: number; transport: "tcp" }): DenoListener;
  serve(opts: DenoServeOptions, handler: (req: Request, info: DenoServeHandlerInfo) => Response | Promise<Response>): DenoHttpServer;
}
