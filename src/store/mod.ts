/** The stream store: the only import target for code outside src/store. */
export type {
  DamagedBlock,
  LostRange,
  PurgeOptions,
  RecoveryReport,
  StoreAck,
  StoredMsg,
  StreamLimits,
  StreamState,
  StreamStore,
  TruncatedTail,
} from "./store.ts";
export { Discard, storedMsgSize } from "./store.ts";
export {
  LimitKind,
  StoreClosedError,
  StoreError,
  StoreErrorText,
  StoreKeyError,
  StoreLimitError,
} from "./errors.ts";
export { MemStore } from "./memstore.ts";
export { parseMessageTTL, TTL_NEVER, TtlError } from "./ttl.ts";
export { FileStore } from "./file/filestore.ts";
export type { FileStoreOptions } from "./file/filestore.ts";
export { type Cipher, chachaImplementation, cipherName, defaultCipher, prepareCiphers } from "./file/aead.ts";
export type { StreamVerification, UnreadableStretch } from "./file/verify.ts";
export { locateStoreDir, type OpenOptions, StoreProvider, type StoreProviderOptions, type Subsystem } from "./provider.ts";
