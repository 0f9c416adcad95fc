/** Subject filters as the store takes them: "" and ">" match everything, anything else is a subject pattern. */
import { matchLiteral, subjectHasWildcard } from "../subject/mod.ts";

export type SubjectMatcher = (subject: string) => boolean;

/** Null when the filter matches every subject, so callers can skip the per-message test entirely. */
export function subjectMatcher(filter: string): SubjectMatcher | null {
  if (filter === "" || filter === ">") return null;
  if (!subjectHasWildcard(filter)) return (subject) => subject === filter;
  return (subject) => matchLiteral(subject, filter);
}

export function isLiteralFilter(filter: string): boolean {
  return filter !== "" && !subjectHasWildcard(filter);
}
