// The conformance suite against the in-memory store.
import { MemStore } from "../../../src/store/mod.ts";
import { storeConformance } from "./suite.ts";

storeConformance("memory", {
  open: (limits) => Promise.resolve(new MemStore(limits)),
  cleanup: () => Promise.resolve(),
});
