/**
 * Helpers shared by the security suites (TLS, auth, permissions, nkeys, seeds): refused connections,
 * permission errors seen by the real client, and delivery checks that wait on the wire, never on a clock.
 */
import { expect, test } from "bun:test";
import { errors, type NatsConnection, nuid, type Subscription } from "@nats-io/transport-node";
import { REFERENCE_SERVER } from "./reference_server.ts";
import type { TestCerts } from "./certs.ts";

/**
 * `test` for natsedge-only behaviour (mkpasswd, options nats-server 2.9.10 does not have): skipped when the
 * suite runs against the reference server.
 */
export const natsedgeOnly: typeof test = REFERENCE_SERVER !== "" ? (test.skip as typeof test) : test;

export const REFERENCE = REFERENCE_SERVER !== "";

/**
 * Awaits `p` expecting a failure; closes the connection and fails the test if it connected. The client under
 * Bun occasionally never settles when the server closes the socket in the middle of a TLS handshake (seen with
 * nats-server as well): after HUNG_MS that counts as refused, with a HungConnectError, and a late connection is
 * closed. Tests that expect a protocol answer (AuthorizationError) still fail on a hang.
 */
export async function refused(p: Promise<NatsConnection>): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<{ err: unknown }>((resolve) => {
    timer = setTimeout(() => {
      void p.then(
        (nc) => nc.close(),
        () => {},
      );
      resolve({ err: new HungConnectError() });
    }, HUNG_MS);
  });
  const result = await Promise.race([
    p.then(
      (nc) => ({ nc }),
      (err: unknown) => ({ err }),
    ),
    hung,
  ]);
  clearTimeout(timer);
  if ("nc" in result) {
    await result.nc.close();
    throw new Error("expected the connection to be refused, but it connected");
  }
  return result.err;
}

const HUNG_MS = 2500;

/**
 * Whether a test's TLS client can choose its cipher suites. Under deno test the client is Deno's node:tls
 * (rustls), which ignores `ciphers`, as Deno's server ignores cipher_suites: tests that offer one chosen
 * suite run on Bun only, and the TLS 1.2 suite logged is whichever rustls prefers.
 */
export const CLIENT_PICKS_CIPHERS = !("Deno" in globalThis);

/** A pattern for the suite logged when the client offers only `goName` (any ECDHE-RSA AEAD suite under Deno). */
export const loggedSuite = (goName: string): string =>
  CLIENT_PICKS_CIPHERS ? goName : "TLS_ECDHE_RSA_WITH_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305)";

export class HungConnectError extends Error {
  constructor() {
    super(`connect neither succeeded nor failed within ${HUNG_MS} ms`);
    this.name = "HungConnectError";
  }
}

/** Client TLS options from the test PKI: trust the test CA, optionally present `pair`. */
export function tlsClient(certs: TestCerts, pair?: { cert: string; key: string }, extra: Record<string, unknown> = {}) {
  return {
    caFile: certs.ca,
    ...(pair !== undefined && { certFile: pair.cert, keyFile: pair.key }),
    ...extra,
  };
}

/**
 * Lets every already-queued microtask run (one macrotask turn). The client dispatches a server -ERR to its
 * status iterator synchronously while parsing, before the PONG that resolves `flush()`; the iterator's
 * consumer then needs a few microtask hops. This is not a wait for the server.
 */
export function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}

/** Collects the async errors (`-ERR` that do not close the connection) the client reports. */
export function errorsOf(nc: NatsConnection): Error[] {
  const out: Error[] = [];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "error") out.push(s.error as Error);
    }
  })();
  return out;
}

/** The permission violations among `errs`, as `operation subject [queue]` strings. */
export function violations(errs: Error[]): string[] {
  return errs
    .filter((e): e is InstanceType<typeof errors.PermissionViolationError> => e instanceof errors.PermissionViolationError)
    .map((e) => [e.operation, e.subject, ...(e.queue !== undefined ? [e.queue] : [])].join(" "));
}

/**
 * Subscribes on `watcher` (an unrestricted connection) and returns the subjects it has received so far,
 * after `flush`ing the watcher: everything published and flushed by others before the call is in.
 */
export async function watch(watcher: NatsConnection, subject = ">"): Promise<{ seen: () => Promise<string[]>; sub: Subscription }> {
  const got: string[] = [];
  const sub = watcher.subscribe(subject, {
    callback: (e, m) => {
      if (e === null) got.push(m.subject);
    },
  });
  await watcher.flush();
  return {
    sub,
    seen: async () => {
      await watcher.flush();
      return [...got];
    },
  };
}

/**
 * Publishes `subject` from `nc` and reports whether `watcher` (subscribed to everything) received it and
 * whether `nc` got a permission violation for it. The connection must stay open either way.
 */
export async function tryPublish(nc: NatsConnection, errs: Error[], watcher: NatsConnection, subject: string): Promise<{ delivered: boolean; violation: boolean }> {
  const marker = nuid.next();
  const got: string[] = [];
  const sub = watcher.subscribe(subject, {
    callback: (e, m) => {
      if (e === null && m.string() === marker) got.push(m.subject);
    },
  });
  await watcher.flush();
  const before = errs.length;
  nc.publish(subject, marker);
  await nc.flush();
  await watcher.flush();
  await settle();
  sub.unsubscribe();
  const violation = violations(errs.slice(before)).includes(`publish ${subject}`);
  expect(nc.isClosed()).toBe(false);
  return { delivered: got.length > 0, violation };
}

/**
 * Subscribes on `nc` and reports whether the server accepted it: a refused subscription is closed by the
 * client with a PermissionViolationError (`sub.closed` resolves with it); an accepted one stays open past
 * a round trip.
 */
export async function trySubscribe(nc: NatsConnection, subject: string, queue?: string): Promise<{ sub: Subscription; refused: Error | null }> {
  const sub = nc.subscribe(subject, queue !== undefined ? { queue } : {});
  let refusedWith: Error | null = null;
  void sub.closed.then((r) => {
    if (r instanceof Error) refusedWith = r;
  });
  await nc.flush();
  await settle();
  expect(nc.isClosed()).toBe(false);
  return { sub, refused: refusedWith };
}

/** A publish/subscribe round trip on `nc` for a subject it may use both ways. */
export async function expectRoundTrip(nc: NatsConnection, subject = `alive.${nuid.next()}`): Promise<void> {
  const got: string[] = [];
  nc.subscribe(subject, {
    max: 1,
    callback: (_err, m) => {
      got.push(m.string());
    },
  });
  nc.publish(subject, "still working");
  await nc.flush();
  expect(got).toEqual(["still working"]);
  expect(nc.isClosed()).toBe(false);
}

const logWaiters = new WeakMap<string[], { re: RegExp; resolve: (l: string) => void }[]>();

/**
 * Resolves with the first log line of `srv` matching `re`, now or when the server writes it: the `logs` array
 * of both natsedge (the log sink) and the reference server (its stderr reader) grows by `push`, which is
 * wrapped once to notify waiters. Rejects after `ms`.
 */
export function waitForLog(srv: { logs: string[] }, re: RegExp, ms = 3000): Promise<string> {
  const hit = srv.logs.find((l) => re.test(l));
  if (hit !== undefined) return Promise.resolve(hit);
  let waiters = logWaiters.get(srv.logs);
  if (waiters === undefined) {
    const list: { re: RegExp; resolve: (l: string) => void }[] = [];
    waiters = list;
    logWaiters.set(srv.logs, list);
    const push = srv.logs.push.bind(srv.logs);
    srv.logs.push = (...lines: string[]) => {
      const n = push(...lines);
      for (const line of lines) {
        for (let i = list.length - 1; i >= 0; i--) {
          if (list[i]!.re.test(line)) list.splice(i, 1)[0]!.resolve(line);
        }
      }
      return n;
    };
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no log line matches ${re}; logs:\n${srv.logs.join("\n")}`)), ms);
    waiters.push({
      re,
      resolve: (l) => {
        clearTimeout(timer);
        resolve(l);
      },
    });
  });
}
