/** How nats-server's monitoring JSON writes times and durations, so its consumers parse natsedge unchanged. */

/** Go time.Duration as JSON: integer nanoseconds (ping_interval, write_deadline). */
export function nanos(ms: number): number {
  return Math.round(ms * 1_000_000);
}

/** Times as RFC 3339 in UTC, like Go's time.Time JSON encoding. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

/** nats-server's myUptime: whole seconds, split into years, days, hours and minutes ("1d2h3m4s", "5s"). */
export function uptime(ms: number): string {
  const tsecs = Math.max(0, Math.floor(ms / 1000));
  const tmins = Math.floor(tsecs / 60);
  const thrs = Math.floor(tmins / 60);
  const tdays = Math.floor(thrs / 24);
  const tyrs = Math.floor(tdays / 365);
  if (tyrs > 0) return `${tyrs}y${tdays % 365}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (tdays > 0) return `${tdays}d${thrs % 24}h${tmins % 60}m${tsecs % 60}s`;
  if (thrs > 0) return `${thrs}h${tmins % 60}m${tsecs % 60}s`;
  if (tmins > 0) return `${tmins}m${tsecs % 60}s`;
  return `${tsecs}s`;
}

/** A 400 answer in nats-server's words (it writes them as text/plain). */
export class QueryError extends Error {
  override readonly name = "QueryError";
}

/** Go's strconv.ParseBool, as nats-server's decodeBool uses it; absent means false. */
export function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === "") return false;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  throw new QueryError(`Error decoding boolean for '${name}': strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

/** strconv.Atoi, as nats-server's decodeInt uses it; absent means 0. */
export function queryInt(q: URLSearchParams, name: string): number {
  const v = q.get(name);
  if (v === null || v === "") return 0;
  if (!/^[+-]?\d+$/.test(v)) throw new QueryError(`Error decoding int for '${name}': strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** strconv.ParseUint, as nats-server's decodeUint64 uses it; absent means 0. */
export function queryUint(q: URLSearchParams, name: string): number {
  const v = q.get(name);
  if (v === null || v === "") return 0;
  if (!/^\d+$/.test(v)) throw new QueryError(`Error decoding uint64 for '${name}': strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}
