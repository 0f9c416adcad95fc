/** Subjects and subject routing: the only import target for code outside src/subject. */
export {
  isValidLiteralSubject,
  isValidQueueName,
  isValidSubject,
  matchLiteral,
  numTokens,
  subjectHasWildcard,
  subjectIsSubsetMatch,
  subjectsCollide,
} from "./subject.ts";
export { Sublist, SublistError } from "./sublist.ts";
export { compile, fnv1a32, TransformError, validateMapping } from "./transform.ts";
export type { CompileOptions, Transform } from "./transform.ts";
export type { SubLike, SublistResult, SublistStats } from "./sublist.ts";
