/**
 * The little path arithmetic `include` needs, kept here so the parser stays free of `node:path` and runs
 * unchanged under Bun, Deno or a browser. POSIX separators, plus Windows drive paths read as absolute.
 */

export function isAbsolute(p: string): boolean {
  return p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p);
}

/** Go's filepath.Dir: "." for a bare name, "/" for a file in the root. */
export function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : p.slice(0, i);
}

/** Resolves `p` against directory `dir` unless it is absolute, then removes `.` and `..` segments. */
export function resolveFrom(dir: string, p: string): string {
  const full = isAbsolute(p) ? p : `${dir}/${p}`;
  const rooted = full.startsWith("/");
  const out: string[] = [];
  for (const seg of full.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (seg !== ".." || !rooted) out.push(seg);
  }
  const joined = out.join("/");
  return rooted ? `/${joined}` : joined || ".";
}
