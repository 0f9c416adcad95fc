/**
 * Raw protocol over TLS, for what the real client cannot show (an authenticated-by-certificate connection
 * that never sends CONNECT, the INFO a server sends after a TLS-first handshake): a plain TCP connection
 * that reads the server's plaintext INFO and then upgrades, as nats-server expects, or one that starts with
 * the handshake (`handshake_first`). Same waiting helpers as RawConn: everything waits on the wire.
 */
import net from "node:net";
import tls from "node:tls";
import { readFileSync } from "node:fs";
import type { TestServer } from "./server.ts";
import { ReceivingConn } from "./received.ts";

export interface TlsClientFiles {
  ca: string;
  cert?: string;
  key?: string;
}

export class TlsRawConn extends ReceivingConn {
  /** The plaintext INFO line the server sent before the upgrade (empty for a TLS-first connection). */
  plainInfo = "";
  private constructor(private readonly sock: tls.TLSSocket) {
    super(4000);
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => this.onData(d));
    sock.on("close", () => this.onClose());
    sock.on("error", () => this.onClose());
  }

  /** Reads the plaintext INFO, then upgrades the same connection to TLS. */
  static async upgrade(srv: TestServer, files: TlsClientFiles): Promise<TlsRawConn> {
    const plain = net.connect(srv.port, "127.0.0.1");
    const info = await new Promise<string>((resolve, reject) => {
      let got = "";
      const onData = (d: Buffer) => {
        got += d.toString("latin1");
        const eol = got.indexOf("\r\n");
        if (eol !== -1) {
          plain.off("data", onData);
          plain.pause();
          resolve(got.slice(0, eol + 2));
        }
      };
      plain.on("data", onData);
      plain.once("error", reject);
      plain.once("close", () => reject(new Error(`closed before INFO: ${JSON.stringify(got)}`)));
    });
    plain.removeAllListeners("close");
    plain.removeAllListeners("error");
    const c = await TlsRawConn.handshake(files, { socket: plain });
    c.plainInfo = info;
    return c;
  }

  /** Starts with the TLS handshake (the server must have `handshake_first`). */
  static first(srv: TestServer, files: TlsClientFiles): Promise<TlsRawConn> {
    return TlsRawConn.handshake(files, { host: "127.0.0.1", port: srv.port });
  }

  private static handshake(files: TlsClientFiles, where: tls.ConnectionOptions): Promise<TlsRawConn> {
    return new Promise((resolve, reject) => {
      const sock = tls.connect({
        ...where,
        servername: "localhost",
        ca: readFileSync(files.ca, "utf8"),
        ...(files.cert !== undefined && { cert: readFileSync(files.cert, "utf8") }),
        ...(files.key !== undefined && { key: readFileSync(files.key, "utf8") }),
      });
      let conn: TlsRawConn | null = null;
      sock.once("secureConnect", () => {
        conn = new TlsRawConn(sock);
        resolve(conn);
      });
      sock.once("error", (e) => {
        if (conn === null) reject(e);
      });
      sock.once("close", () => {
        if (conn === null) reject(new Error("closed during the TLS handshake"));
      });
    });
  }

  send(s: string): void {
    this.sock.write(s);
  }

  close(): void {
    this.sock.destroy();
  }
}
