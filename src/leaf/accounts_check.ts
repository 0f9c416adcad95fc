/**
 * nats-server's validateLeafNode account check, at start and on every reload: each account the leafnodes
 * block names (its authorization's, its users', its remotes') must exist. A reload that removes one of them is
 * refused with the same words.
 */
import type { LeafNodeOptions } from "../config/options.ts";

/** The first account `lo` names that `exists` does not know, as nats-server's error; null when all exist. */
export function leafAccountsError(lo: LeafNodeOptions, exists: (name: string) => boolean): string | null {
  const named: [string | undefined, string][] = [
    [lo.authorization?.account, "authorization"],
    ...(lo.authorization?.users ?? []).map((u): [string | undefined, string] => [u.account, "authorization"]),
    ...(lo.remotes ?? []).map((r): [string | undefined, string] => [r.account, "remote"]),
  ];
  for (const [name, where] of named) {
    if (name !== undefined && name !== "" && !exists(name)) return `cannot find local account ${JSON.stringify(name)} specified in leafnode ${where}`;
  }
  return null;
}
