/**
 * JetStream API errors as data, with nats-server's codes and texts (server/errors.json): clients key on
 * `err_code` and some compare `description` (nats.js checks for exactly "stream not found"), so both are
 * copied verbatim. `{name}` placeholders are filled by `jsError`.
 */

export interface JSErrorData {
  readonly code: number;
  readonly err_code: number;
  readonly description: string;
}

export const JSErr = {
  BadRequest: { code: 400, err_code: 10003, description: "bad request" },
  InvalidJSON: { code: 400, err_code: 10025, description: "invalid JSON" },
  NotEmptyRequest: { code: 400, err_code: 10038, description: "expected an empty request payload" },
  StreamNotFound: { code: 404, err_code: 10059, description: "stream not found" },
  ConsumerNotFound: { code: 404, err_code: 10014, description: "consumer not found" },
  NoMessageFound: { code: 404, err_code: 10037, description: "no message found" },
  StreamNameExist: { code: 400, err_code: 10058, description: "stream name already in use with a different configuration" },
  StreamSubjectOverlap: { code: 400, err_code: 10065, description: "subjects overlap with an existing stream" },
  StreamMismatch: { code: 400, err_code: 10056, description: "stream name in subject does not match request" },
  StreamInvalidConfig: { code: 500, err_code: 10052, description: "{err}" },
  StreamCreate: { code: 500, err_code: 10049, description: "{err}" },
  StreamDelete: { code: 500, err_code: 10050, description: "{err}" },
  StreamPurgeFailed: { code: 500, err_code: 10110, description: "{err}" },
  StreamMsgDeleteFailed: { code: 500, err_code: 10057, description: "{err}" },
  SequenceNotFound: { code: 400, err_code: 10043, description: "sequence {seq} not found" },
  MirrorWithSubjects: { code: 400, err_code: 10034, description: "stream mirrors can not contain subjects" },
  MirrorWithSources: { code: 400, err_code: 10031, description: "stream mirrors can not also contain other sources" },
  StreamMirrorNotUpdatable: { code: 400, err_code: 10055, description: "stream mirror configuration can not be updated" },
  StreamGeneral: { code: 500, err_code: 10051, description: "{err}" },
  StreamStoreFailed: { code: 503, err_code: 10077, description: "{err}" },
  StreamMessageExceedsMaximum: { code: 400, err_code: 10054, description: "message size exceeds maximum allowed" },
  StreamNotMatch: { code: 400, err_code: 10060, description: "expected stream does not match" },
  StreamWrongLastSequence: { code: 400, err_code: 10071, description: "wrong last sequence: {seq}" },
  StreamWrongLastMsgID: { code: 400, err_code: 10070, description: "wrong last msg ID: {id}" },
  StreamReplicasNotSupported: { code: 500, err_code: 10074, description: "replicas > 1 not supported in non-clustered mode" },
  StreamNameContainsPathSeparators: { code: 400, err_code: 10128, description: "Stream name can not contain path separators" },
  StreamOffline: { code: 500, err_code: 10118, description: "stream is offline" },
  StreamRollupFailed: { code: 500, err_code: 10111, description: "rollup not permitted" },
  StreamSealed: { code: 400, err_code: 10109, description: "invalid operation on sealed stream" },
  ConsumerNameContainsPathSeparators: { code: 400, err_code: 10127, description: "Consumer name can not contain path separators" },
  ConsumerCreate: { code: 500, err_code: 10012, description: "{err}" },
  ConsumerNameExist: { code: 400, err_code: 10013, description: "consumer name already in use" },
  ConsumerAlreadyExists: { code: 400, err_code: 10148, description: "consumer already exists" },
  ConsumerDoesNotExist: { code: 400, err_code: 10149, description: "consumer does not exist" },
  ConsumerDurableNameNotInSubject: { code: 400, err_code: 10016, description: "consumer expected to be durable but no durable name set in subject" },
  ConsumerDurableNameNotMatchSubject: { code: 400, err_code: 10017, description: "consumer name in subject does not match durable name in request" },
  ConsumerDurableNameNotSet: { code: 400, err_code: 10018, description: "consumer expected to be durable but a durable name was not set" },
  ConsumerEphemeralWithDurableName: { code: 400, err_code: 10020, description: "consumer expected to be ephemeral but a durable name was set in request" },
  ConsumerFilterMismatch: { code: 400, err_code: 10131, description: "Consumer create request did not match filtered subject from create subject" },
  ConsumerDurableAndNameMismatch: { code: 400, err_code: 10132, description: "Consumer Durable and Name have to be equal if both are provided" },
  ConsumerFilterNotSubset: { code: 400, err_code: 10093, description: "consumer filter subject is not a valid subset of the interest subjects" },
  ConsumerInvalidPolicy: { code: 400, err_code: 10094, description: "{err}" },
  ConsumerPushMaxWaiting: { code: 400, err_code: 10080, description: "consumer in push mode can not set max waiting" },
  ConsumerDeliverCycle: { code: 400, err_code: 10081, description: "consumer deliver subject forms a cycle" },
  ConsumerMaxPendingAckPolicyRequired: { code: 400, err_code: 10082, description: "consumer requires ack policy for max ack pending" },
  ConsumerPullRequiresAck: { code: 400, err_code: 10084, description: "consumer in pull mode requires ack policy" },
  ConsumerPullWithRateLimit: { code: 400, err_code: 10086, description: "consumer in pull mode can not have rate limit set" },
  ConsumerSmallHeartbeat: { code: 400, err_code: 10083, description: "consumer idle heartbeat needs to be >= 100ms" },
  ConsumerHBRequiresPush: { code: 400, err_code: 10088, description: "consumer idle heartbeat requires a push based consumer" },
  ConsumerFCRequiresPush: { code: 400, err_code: 10089, description: "consumer flow control requires a push based consumer" },
  ConsumerFlowControlNeedsHeartbeats: { code: 400, err_code: 10108, description: "consumer with flow control also needs heartbeats" },
  ConsumerMaxDeliverBackoff: { code: 400, err_code: 10116, description: "max deliver is required to be > length of backoff values" },
  ConsumerMaxRequestBatchNegative: { code: 400, err_code: 10114, description: "consumer max request batch needs to be > 0" },
  ConsumerMaxRequestExpiresTooSmall: { code: 400, err_code: 10115, description: "consumer max request expires needs to be >= 1ms" },
  ConsumerDuplicateFilterSubjects: { code: 400, err_code: 10136, description: "consumer cannot have both FilterSubject and FilterSubjects specified" },
  ConsumerOverlappingSubjectFilters: { code: 400, err_code: 10138, description: "consumer subject filters cannot overlap" },
  ConsumerMetadataLength: { code: 400, err_code: 10135, description: "consumer metadata exceeds maximum size of {limit}" },
  ConsumerEmptyFilter: { code: 400, err_code: 10139, description: "consumer filter in FilterSubjects cannot be empty" },
  MirrorWithFirstSeq: { code: 400, err_code: 10143, description: "stream mirrors can not have first sequence configured" },
  StreamTransformInvalidSource: { code: 400, err_code: 10155, description: "stream transform source: {err}" },
  StreamTransformInvalidDestination: { code: 400, err_code: 10156, description: "stream transform: {err}" },
  MessageTTLInvalid: { code: 400, err_code: 10165, description: "invalid per-message TTL" },
  MessageTTLDisabled: { code: 400, err_code: 10166, description: "per-message TTL is disabled" },
  NotEnabledForAccount: { code: 503, err_code: 10039, description: "JetStream not enabled for account" },
  MaximumStreamsLimit: { code: 400, err_code: 10027, description: "maximum number of streams reached" },
  MaximumConsumersLimit: { code: 400, err_code: 10026, description: "maximum consumers limit reached" },
  MemoryResourcesExceeded: { code: 500, err_code: 10028, description: "insufficient memory resources available" },
  StorageResourcesExceeded: { code: 500, err_code: 10047, description: "insufficient storage resources available" },
  StreamMaxStreamBytesExceeded: { code: 400, err_code: 10122, description: "stream max bytes exceeds account limit max stream bytes" },
  StreamMaxBytesRequired: { code: 400, err_code: 10113, description: "account requires a stream config to have max bytes set" },
  ConsumerMaxAckPendingExcess: { code: 400, err_code: 10121, description: "consumer max ack pending exceeds system limit of {limit}" },
  AccountResourcesExceeded: { code: 400, err_code: 10002, description: "resource limits exceeded for account" },
  ConsumerWQRequiresExplicitAck: { code: 400, err_code: 10098, description: "workqueue stream requires explicit ack" },
  ConsumerWQMultipleUnfiltered: { code: 400, err_code: 10099, description: "multiple non-filtered consumers not allowed on workqueue stream" },
  ConsumerWQConsumerNotUnique: { code: 400, err_code: 10100, description: "filtered consumer not unique on workqueue stream" },
  ConsumerWQConsumerNotDeliverAll: { code: 400, err_code: 10101, description: "consumer must be deliver all on workqueue stream" },
} as const satisfies Record<string, JSErrorData>;

/** An API failure carrying nats-server's error JSON. */
export class JSError extends Error {
  readonly data: JSErrorData;
  constructor(data: JSErrorData) {
    super(data.description);
    this.name = "JSError";
    this.data = data;
  }
}

/** The error for `e`, with its `{name}` placeholders replaced from `args`. */
export function jsError(e: JSErrorData, args: Record<string, string | number> = {}): JSError {
  const description = e.description.replace(/\{(\w+)\}/g, (m, k: string) => (k in args ? String(args[k]) : m));
  return new JSError({ code: e.code, err_code: e.err_code, description });
}
