/** The stream store: the only import target for code outside src/store. */
export type {
  LostRange,
  PurgeOptions,
  StoreAck,
  StoredMsg,
  StreamLimits,
  StreamState,
  StreamStore,
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
export { FileStore } from "./file/filestore.ts";
export type { FileStoreOptions, RecoveryReport } from "./file/filestore.ts";
export { type Cipher, cipherName, defaultCipher } from "./file/aead.ts";
