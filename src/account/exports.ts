/**
 * What an account exports (nats-server's exportMap) and the checks an import must pass:
 * checkStreamImportAuthorized and checkServiceImportAuthorized. An import is allowed when its subject is a
 * subset of an export's and the export is public or names the importing account; an export that requires an
 * activation token (operator mode) admits only imports whose token was found valid.
 */
import { subjectIsSubsetMatch } from "../subject/subject.ts";
import type { LatencyConfig } from "./latency.ts";

/** nats-server's DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD. */
export const DEFAULT_RESPONSE_THRESHOLD_MS = 2 * 60 * 1000;

export type ResponseType = "singleton" | "stream" | "chunked";

export interface StreamExport {
  readonly subject: string;
  /** null: public. */
  readonly accounts: ReadonlySet<string> | null;
  readonly tokenReq?: boolean;
}

export interface ServiceExport extends StreamExport {
  readonly responseType: ResponseType;
  readonly thresholdMs: number;
  /** Service latency tracking (`latency {}`), null when off. */
  readonly latency: LatencyConfig | null;
}

export class ExportTable {
  readonly streams: StreamExport[] = [];
  readonly services: ServiceExport[] = [];

  /** The stream export `importer` may import `subject` through, or null. */
  stream(importer: string, subject: string, activated = false): StreamExport | null {
    return allowed(this.streams, importer, subject, activated);
  }

  /** The service export `importer` may import `subject` through, or null. */
  service(importer: string, subject: string, activated = false): ServiceExport | null {
    return allowed(this.services, importer, subject, activated);
  }
}

/** An exact subject first, then the first export the subject is a subset of. */
function allowed<T extends StreamExport>(list: readonly T[], importer: string, subject: string, activated: boolean): T | null {
  const ok = (e: T) => (e.tokenReq === true ? activated : e.accounts === null || e.accounts.has(importer));
  const exact = list.find((e) => e.subject === subject);
  if (exact !== undefined) return ok(exact) ? exact : null;
  return list.find((e) => subjectIsSubsetMatch(subject, e.subject) && ok(e)) ?? null;
}
