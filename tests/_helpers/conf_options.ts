/** A config text (as file `a.conf`) into ServerOptions, or the ConfigError message it gives. */
import { expect } from "bun:test";
import { ConfigError } from "../../src/config/errors.ts";
import { optionsFromConf } from "../../src/config/from_conf.ts";
import { defaultOptions, type ServerOptions } from "../../src/config/options.ts";
import { parseConf } from "../../src/config/parser.ts";

export function confOptions(text: string): ServerOptions {
  const conf = parseConf(text, { file: "a.conf", env: {}, readFile: () => "", warn: () => {} });
  return optionsFromConf(conf, defaultOptions()).options;
}

export function confError(text: string): string {
  try {
    confOptions(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}
