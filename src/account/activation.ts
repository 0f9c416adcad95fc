/**
 * Activation tokens (nats-server's checkActivation with jwt's Import.Validate): an import of an export that
 * requires a token is authorized by an activation JWT the exporter signed (itself, or one of its signing keys
 * with `issuer_account`), for the importing account, for the import's type and a subject containing the
 * import's, valid now and not revoked by the export.
 */
import { type AccountClaims, type ActivationClaims, decodeActivation, isRevoked, signingKeys, timeProblem } from "../auth/jwt_verify.ts";
import { subjectIsSubsetMatch } from "../subject/subject.ts";

type JwtImport = NonNullable<AccountClaims["nats"]["imports"]>[number];
type JwtExport = NonNullable<AccountClaims["nats"]["exports"]>[number];

/**
 * jwt's Import.Validate: why the account JWT carrying this import is not valid (a token that is not an
 * activation, not for this account, of another type or subject), or null. nats-server refuses such a JWT.
 */
export function tokenProblem(i: JwtImport, importer: string): string | null {
  if (!i.token) return null;
  let act: ActivationClaims;
  try {
    act = decodeActivation(i.token);
  } catch {
    return `import ${JSON.stringify(i.subject)} contains an invalid activation token`;
  }
  if (act.iss !== i.account && act.nats.issuer_account !== i.account) return `activation token doesn't match account for import ${JSON.stringify(i.subject)}`;
  if (act.sub !== importer) return `activation token doesn't match account it is being included in, ${JSON.stringify(i.subject)}`;
  // JWT v2 writes the import type as `kind`, v1 as `type`.
  const kind = (act.nats as { kind?: string }).kind ?? act.nats.type;
  if (kind !== i.type) return `mismatch between token import type ${kind} and type of import ${i.type}`;
  const subject = i.type === "service" && i.to ? i.to : i.subject;
  const granted = (act.nats as { subject?: string }).subject ?? "";
  if (!subjectIsSubsetMatch(subject, granted)) return `activation token import subject ${JSON.stringify(granted)} doesn't match import ${JSON.stringify(i.subject)}`;
  return null;
}

/**
 * nats-server's checkActivation, for a token tokenProblem found well formed: its claims when it authorizes
 * the import now, else why not.
 */
export function checkActivation(i: JwtImport, importer: string, exporter: AccountClaims, nowMs = Date.now()): ActivationClaims | string {
  const problem = tokenProblem(i, importer);
  if (problem !== null) return problem;
  const act = decodeActivation(i.token!);
  const issuerAccount = act.nats.issuer_account ?? "";
  const trusted = issuerAccount === "" ? act.iss === exporter.sub : issuerAccount === exporter.sub && signingKeys(exporter).includes(act.iss);
  if (!trusted) return `activation token for import ${JSON.stringify(i.subject)} is not issued by ${exporter.sub} or its signing keys`;
  const when = timeProblem(act, nowMs);
  if (when !== null) return `activation token for import ${JSON.stringify(i.subject)}: ${when}`;
  if (revokedBy(exporter, i, act)) return `activation token for import ${JSON.stringify(i.subject)} is revoked`;
  return act;
}

/** The export the import goes through (exact subject first, as nats-server matches) revokes the token. */
function revokedBy(exporter: AccountClaims, i: JwtImport, act: ActivationClaims): boolean {
  const same = (exporter.nats.exports ?? []).filter((e: JwtExport) => e.type === i.type);
  const e = same.find((x) => x.subject === i.subject) ?? same.find((x) => subjectIsSubsetMatch(i.subject, x.subject));
  return e !== undefined && isRevoked(e.revocations, act.sub, act.iat);
}
