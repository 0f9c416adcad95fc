// Property tests for the config pipeline (parseConf, then optionsFromConf) and the flag parser:
//  (a) random text, config-token soup and mutated seed configs either load or fail with a ConfigError,
//      never another exception and never a hang (the Go lexer had infinite-loop bugs on such input);
//  (b) the same holds when the text pulls in random environment values and includes;
//  (c) random argv either parses or fails with a FlagError.
// Seeds are fixed so a run is reproducible; FC_SEED=<n> explores others, FC_RUNS_SCALE=<k> runs k times more.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { FlagError, parseFlags } from "../../src/config/flags.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { optionsFromConf } from "../../src/config/from_conf.ts";
import { defaultOptions } from "../../src/config/options.ts";
import { parseConf } from "../../src/config/parser.ts";

const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 0x636f6e66;
const RUNS_SCALE = Number(process.env.FC_RUNS_SCALE ?? 1);
const params = (salt: number, numRuns: number): fc.Parameters<unknown> => ({
  seed: SEED + salt,
  numRuns: Math.ceil(numRuns * RUNS_SCALE),
});

const SEED_DIR = new URL("../testdata/conf/", import.meta.url);
const SEEDS = readdirSync(SEED_DIR)
  .filter((f) => f.endsWith(".conf"))
  .sort()
  .map((f) => readFileSync(new URL(f, SEED_DIR), "utf8"));

/** Runs the whole config pipeline; returns the unexpected exception, if any. */
function unexpectedFailure(text: string, env: Record<string, string> = {}, includes: Record<string, string> = {}): unknown {
  try {
    const conf = parseConf(text, {
      file: "/fuzz/main.conf",
      env,
      readFile: (p) => {
        if (!Object.hasOwn(includes, p)) throw new Error(`open ${p}: no such file or directory`);
        return includes[p];
      },
      warn: () => {},
    });
    optionsFromConf(conf, defaultOptions());
  } catch (e) {
    if (!(e instanceof ConfigError)) return e;
  }
  return undefined;
}

// Pieces of config syntax, so random text reaches deep lexer and parser states.
const TOKENS = [
  "{", "}", "[", "]", "(", ")", "=", ":", ";", ",", "\n", " ", "\t", '"', "'", "\\", "\\x", "\\n", "$", "#", "//", "-",
  ".", "0", "1", "42", "1k", "2MB", "1.5", "2016-05-04T18:53:41Z", "true", "off", "include", "port", "listen",
  "tls", "authorization", "users", "jetstream", "cluster", "leafnodes", "remotes", "permissions", "publish",
  "allow_responses", "cipher", "key", "store_dir", "timeout", "ping_interval", "$2a$11$abc", "$JS_KEY", "$X",
  "nats://h:4222", "127.0.0.1:4222", "\u201cq\u201d", "\0", "\r\n", "\uFEFF",
];
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((ts) => ts.join(""));

type Mutation = { at: number; del: number; insert: string };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  del: fc.nat({ max: 8 }),
  insert: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 3 })),
});

function mutate(text: string, mutations: Mutation[]): string {
  let out = text;
  for (const m of mutations) {
    const at = m.at % (out.length + 1);
    out = out.slice(0, at) + m.insert + out.slice(at + m.del);
  }
  return out;
}

describe("config pipeline fails only with ConfigError", () => {
  test("on random unicode text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (text) => unexpectedFailure(text) === undefined),
      params(1, 500),
    );
  });

  test("on config-token soup", () => {
    fc.assert(fc.property(tokenSoup, (text) => unexpectedFailure(text) === undefined), params(2, 2000));
  });

  test("on mutated seed configs", () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 5 }), (seed, ms) => {
        return unexpectedFailure(mutate(seed, ms), { JS_KEY: "mykey" }) === undefined;
      }),
      params(3, 2000),
    );
  });

  test("with random environment values and included files", () => {
    fc.assert(
      fc.property(tokenSoup, tokenSoup, tokenSoup, (main, envValue, included) => {
        const text = `a = $X\n${main}\ninclude inc.conf\n`;
        return unexpectedFailure(text, { X: envValue, JS_KEY: envValue }, { "/fuzz/inc.conf": included }) === undefined;
      }),
      params(4, 1000),
    );
  });

  test("the unmutated seeds load", () => {
    for (const seed of SEEDS) expect(unexpectedFailure(seed, { JS_KEY: "mykey" })).toBeUndefined();
  });
});

describe("flag parser fails only with FlagError", () => {
  const argPieces = fc.oneof(
    fc.constantFrom("-p", "--port", "-p=1", "-D", "-DV=false", "-js", "-sd", "-sl", "--", "-", "---x", "-=", "-x", "--tls=maybe"),
    fc.string({ maxLength: 8 }),
  );
  test("on random argv", () => {
    fc.assert(
      fc.property(fc.array(argPieces, { maxLength: 10 }), (argv) => {
        try {
          parseFlags(argv);
        } catch (e) {
          return e instanceof FlagError;
        }
        return true;
      }),
      params(5, 1000),
    );
  });
});
