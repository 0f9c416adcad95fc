/**
 * Where account JWTs come from in operator mode (nats-server's AccountResolver): MEMORY holds the preloads
 * only; full and cache keep each JWT as `<dir>/<account public key>.jwt` (nats-server's DirJWTStore without
 * sharding), so updates pushed at run time survive a restart, and list and delete them (CLAIMS.LIST/DELETE).
 * Reads and writes are synchronous: a JWT is a small file, read once when its account is first used.
 */
import type { ResolverOptions } from "../config/options.ts";
import { isAccountKey, unverifiedClaims } from "../config/_operator.ts";
import { nodeFs } from "../runtime/lazy_fs.ts";

/** nats-server's default resolver limit. */
const DEFAULT_LIMIT = 1000;

export interface AccountResolver {
  readonly type: ResolverOptions["type"];
  /** The account's JWT, or null when the resolver has none. */
  fetch(pub: string): string | null;
  /** Stores a JWT pushed at run time (CLAIMS.UPDATE); throws when the resolver refuses it. */
  store(pub: string, jwt: string): void;
  /** Stores a preload unless a newer JWT of the account is already there (nats-server's saveIfNewer). */
  preload(pub: string, jwt: string): void;
  /** The accounts it holds JWTs of, sorted (CLAIMS.LIST). */
  list(): string[];
  /** Whether `delete` may be used (`allow_delete`). */
  readonly canDelete: boolean;
  /** Removes the account's JWT (CLAIMS.DELETE); throws when deleting is not enabled or fails. */
  delete(pub: string): void;
}

class MemoryResolver implements AccountResolver {
  readonly type = "memory" as const;
  readonly canDelete = false;
  private readonly jwts = new Map<string, string>();

  fetch(pub: string): string | null {
    return this.jwts.get(pub) ?? null;
  }

  store(pub: string, jwt: string): void {
    this.jwts.set(pub, jwt);
  }

  preload(pub: string, jwt: string): void {
    this.jwts.set(pub, jwt);
  }

  list(): string[] {
    return [...this.jwts.keys()].sort();
  }

  delete(): void {
    throw new Error("store is not set up to for delete");
  }
}

class DirResolver implements AccountResolver {
  private readonly limit: number;

  constructor(readonly type: "full" | "cache", private readonly dir: string, limit: number | undefined, readonly canDelete: boolean) {
    this.limit = limit ?? DEFAULT_LIMIT;
    nodeFs().mkdirSync(dir, { recursive: true, mode: 0o755 });
  }

  /** Only a valid account public key names a file: a subject token or claim could hold `../`. */
  private path(pub: string): string | null {
    return isAccountKey(pub) ? `${this.dir}/${pub}.jwt` : null;
  }

  fetch(pub: string): string | null {
    const path = this.path(pub);
    if (path === null) return null;
    try {
      return nodeFs().readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new Error(`reading the JWT of account ${pub} in ${this.dir}: ${(err as Error).message}`);
    }
  }

  store(pub: string, jwt: string): void {
    const fs = nodeFs();
    const path = this.path(pub);
    if (path === null) throw new Error(`${JSON.stringify(pub)} is not an account public key`);
    if (!fs.existsSync(path) && fs.readdirSync(this.dir).filter((f) => f.endsWith(".jwt")).length >= this.limit) throw new Error("store is full");
    // Written aside and renamed, so a crash never leaves half a JWT where the account is read from.
    const tmp = `${path}.${crypto.randomUUID()}.tmp`;
    fs.writeFileSync(tmp, jwt, { mode: 0o644 });
    fs.renameSync(tmp, path);
  }

  list(): string[] {
    return nodeFs().readdirSync(this.dir).filter((f) => f.endsWith(".jwt")).map((f) => f.slice(0, -4)).filter(isAccountKey).sort();
  }

  /** DirJWTStore.delete in 2.9.10: renamed aside; a JWT that is not there counts as deleted. */
  delete(pub: string): void {
    if (!this.canDelete) throw new Error("store is not set up to for delete");
    const path = this.path(pub);
    if (path === null) throw new Error(`${JSON.stringify(pub)} is not an account public key`);
    try {
      nodeFs().renameSync(path, `${path}.deleted`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }

  preload(pub: string, jwt: string): void {
    const old = this.fetch(pub);
    if (old !== null) {
      const was = unverifiedClaims(old);
      const now = unverifiedClaims(jwt);
      if (was !== null && now !== null && (was.jti === now.jti || Number(was.iat) > Number(now.iat))) return;
    }
    this.store(pub, jwt);
  }
}

export function newResolver(o: ResolverOptions): AccountResolver {
  if (o.type === "memory") return new MemoryResolver();
  return new DirResolver(o.type, o.dir, o.limit, o.allow_delete === true);
}
