/**
 * The server's services: subsystems beside core NATS (JetStream and the monitor now; NATS Streaming and MQTT
 * later) that start, stop, report health and take a config reload through one registry. Each is loaded only
 * when the options ask for it, so an idle core-only server carries none of their code.
 */
import type { ServerOptions } from "../config/options.ts";
import type { Logger } from "../log/logger.ts";

export interface Service {
  /** Why the service is not healthy, for /healthz; null or absent when it is. */
  health?(): string | null;
  /** Applies a config reload that has been accepted. */
  reload?(next: ServerOptions): void | Promise<void>;
  stop(): Promise<void>;
}

/**
 * When a service starts: "core" before the client listener accepts (JetStream restores its streams first,
 * as nats-server does, so no client sees a server without them); "listening" once the listener is bound
 * (the monitor reports the client port).
 */
export type ServicePhase = "core" | "listening";

export interface ServiceSpec<S extends Service, H> {
  readonly name: string;
  readonly phase: ServicePhase;
  /** Whether the options ask for the service; its module is imported only then. */
  enabled(o: ServerOptions): boolean;
  start(host: H): Promise<S>;
}

export class Services<H> {
  /** Running services by name, in start order. */
  readonly #running = new Map<string, Service>();

  constructor(
    private readonly specs: readonly ServiceSpec<Service, H>[],
    private readonly log: Logger,
  ) {}

  /** Starts the enabled services of `phase`, in the order given. */
  async start(phase: ServicePhase, host: H, o: ServerOptions): Promise<void> {
    for (const spec of this.specs) {
      if (spec.phase !== phase || !spec.enabled(o)) continue;
      this.#running.set(spec.name, await spec.start(host));
    }
  }

  /** Starts `spec` if a reload's options enable it and it is not running yet. */
  async startEnabled(spec: ServiceSpec<Service, H>, host: H, o: ServerOptions): Promise<void> {
    if (this.#running.has(spec.name) || !spec.enabled(o)) return;
    this.#running.set(spec.name, await spec.start(host));
  }

  /** Adds a service started elsewhere (an embedder's, or a test's). */
  add(name: string, service: Service): void {
    if (this.#running.has(name)) throw new Error(`service ${JSON.stringify(name)} is already running`);
    this.#running.set(name, service);
  }

  get<S extends Service>(spec: ServiceSpec<S, H>): S | undefined {
    return this.#running.get(spec.name) as S | undefined;
  }

  /** The first unhealthy service's reason, in start order, or null. */
  health(): string | null {
    for (const s of this.#running.values()) {
      const err = s.health?.() ?? null;
      if (err !== null) return err;
    }
    return null;
  }

  async reload(next: ServerOptions): Promise<void> {
    for (const s of this.#running.values()) await s.reload?.(next);
  }

  /** Stops every service, the last started first; one that fails to stop does not keep the others running. */
  async stop(): Promise<void> {
    for (const [name, s] of [...this.#running].reverse()) {
      this.#running.delete(name);
      try {
        await s.stop();
      } catch (err) {
        this.log.error(`stopping ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
