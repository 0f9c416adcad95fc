/**
 * Typed store errors. Messages that nats-server also produces keep its exact text (the JetStream layer puts
 * them in API error descriptions, e.g. 503/10077 for discard-new limit hits); the rest name the stream and
 * the file or sequence range involved.
 */

/** nats-server's texts, in one place (server/store.go). */
export const StoreErrorText = {
  MaxMsgs: "maximum messages exceeded",
  MaxBytes: "maximum bytes exceeded",
  MaxMsgsPerSubject: "maximum messages per subject exceeded",
  Closed: "store is closed",
  NoKey: "encrypted store encountered with no main key",
} as const;

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
  }
}

export const LimitKind = { MaxMsgs: "MaxMsgs", MaxBytes: "MaxBytes", MaxMsgsPerSubject: "MaxMsgsPerSubject" } as const;
export type LimitKind = typeof LimitKind[keyof typeof LimitKind];

/** A discard-new limit rejected the message; `message` is nats-server's text for `kind`. */
export class StoreLimitError extends StoreError {
  readonly kind: LimitKind;
  constructor(kind: LimitKind) {
    super(StoreErrorText[kind]);
    this.name = "StoreLimitError";
    this.kind = kind;
  }
}

export class StoreClosedError extends StoreError {
  constructor() {
    super(StoreErrorText.Closed);
    this.name = "StoreClosedError";
  }
}

/**
 * The stream cannot be opened with the keys given: a wrong key (message is nats-server's log text, e.g.
 * `Error decrypting our stream metafile: chacha20poly1305: message authentication failed`), an encrypted
 * store opened without a key, or data under a key that is no longer configured. Nothing was modified.
 */
export class StoreKeyError extends StoreError {
  readonly stream: string;
  constructor(stream: string, message: string) {
    super(message);
    this.name = "StoreKeyError";
    this.stream = stream;
  }
}
