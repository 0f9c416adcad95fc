/**
 * Import cycles, refused when an import is added (nats-server's streamImportFormsCycle and
 * serviceImportFormsCycle): a message must not be able to travel from an account through imports back into
 * it on a subject that would send it round again.
 */
import { subjectsCollide } from "../subject/mod.ts";

/** A path a message takes between accounts: published in `from` on `subject`, it arrives in `to` as `as`. */
export interface Edge {
  from: string;
  subject: string;
  to: string;
  as: string;
}

/** nats-server's MaxAccountCycleSearchDepth. */
const MAX_DEPTH = 1024;

/** Whether adding `edge` to `edges` lets a message come back to `edge.from`. */
export function formsCycle(edges: readonly Edge[], edge: Edge): boolean {
  const seen = new Set<Edge>();
  const walk = (account: string, subject: string, depth: number): boolean => {
    if (depth > MAX_DEPTH) return true;
    if (account === edge.from && subjectsCollide(subject, edge.subject)) return true;
    for (const e of edges) {
      if (e.from !== account || seen.has(e) || !subjectsCollide(subject, e.subject)) continue;
      seen.add(e);
      if (walk(e.to, e.as, depth + 1)) return true;
    }
    return false;
  };
  return walk(edge.to, edge.as, 0);
}
