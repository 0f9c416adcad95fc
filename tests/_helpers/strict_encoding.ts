/**
 * Loaded before every test file (bunfig.toml preload; the Deno shim imports it): a number that cannot be
 * written as digits throws in tests instead of being clamped, so the count that went wrong surfaces.
 */
import { configureDecimalFaults } from "../../src/protocol/encode.ts";

configureDecimalFaults({ strict: true });
