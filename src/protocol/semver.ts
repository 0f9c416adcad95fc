/** The `major.minor.patch` versions servers exchange in INFO and CONNECT (nats-server's versionAtLeast). */

/** [major, minor, patch] of `v` (an optional leading `v`, anything after the patch ignored), or null. */
export function parseVersion(v: string): [number, number, number] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m === null ? null : [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Whether `v` is at least `min`; false when `v` is not a version. */
export function versionAtLeast(v: string, min: string): boolean {
  const a = parseVersion(v);
  const b = parseVersion(min);
  if (a === null || b === null) return false;
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}
