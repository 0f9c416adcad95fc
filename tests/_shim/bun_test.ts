/**
 * Lets `deno test` run test files written for `bun:test`: deno.json maps the specifier "bun:test" here.
 * It implements the subset the Deno-run files use (describe/test with skip/if/todo/each, the four hooks, and
 * expect with the matchers listed in `Matchers`), with Bun's semantics where they differ from a naive
 * version: toEqual ignores properties that are undefined, hooks registered anywhere in a describe apply to
 * all of its tests, beforeAll/afterAll run around the first/last test of their describe.
 *
 * Each test becomes one Deno.test named "describe > ... > test". Resource and op sanitizers are off: like
 * bun test, a server started in beforeAll stays open across tests.
 */

import "../_helpers/strict_encoding.ts";

declare const Deno: {
  test(def: { name: string; fn: () => Promise<void>; ignore?: boolean; sanitizeOps?: boolean; sanitizeResources?: boolean; sanitizeExit?: boolean }): void;
  inspect(v: unknown, opts?: { depth?: number }): string;
};

type Fn = () => unknown | Promise<unknown>;

interface Scope {
  name: string;
  parent: Scope | null;
  beforeAll: Fn[];
  afterAll: Fn[];
  beforeEach: Fn[];
  afterEach: Fn[];
  /** Tests registered in this scope and its children (known once registration is over). */
  total: number;
  done: number;
  started: boolean;
  beforeAllError: unknown;
}

const newScope = (name: string, parent: Scope | null): Scope => ({
  name,
  parent,
  beforeAll: [],
  afterAll: [],
  beforeEach: [],
  afterEach: [],
  total: 0,
  done: 0,
  started: false,
  beforeAllError: undefined,
});

const root = newScope("", null);
let current = root;
let skipDepth = 0;

function chain(s: Scope): Scope[] {
  const out: Scope[] = [];
  for (let x: Scope | null = s; x !== null; x = x.parent) out.unshift(x);
  return out;
}

function fullName(s: Scope, name: string): string {
  return [...chain(s).map((x) => x.name).filter((n) => n !== ""), name].join(" > ");
}

function register(name: string, fn: Fn | undefined, skip: boolean): void {
  const scope = current;
  const ignore = skip || skipDepth > 0 || fn === undefined;
  if (!ignore) for (const s of chain(scope)) s.total++;
  Deno.test({
    name: fullName(scope, name),
    ignore,
    sanitizeOps: false,
    sanitizeResources: false,
    sanitizeExit: false,
    async fn() {
      const scopes = chain(scope);
      for (const s of scopes) {
        if (!s.started) {
          s.started = true;
          try {
            for (const h of s.beforeAll) await h();
          } catch (e) {
            s.beforeAllError = e;
          }
        }
        if (s.beforeAllError !== undefined) throw s.beforeAllError;
      }
      let failure: unknown;
      try {
        for (const s of scopes) for (const h of s.beforeEach) await h();
        await fn!();
      } catch (e) {
        failure = e;
      }
      for (const s of [...scopes].reverse()) {
        for (const h of s.afterEach) {
          try {
            await h();
          } catch (e) {
            failure ??= e;
          }
        }
      }
      for (const s of [...scopes].reverse()) {
        s.done++;
        if (s.done === s.total) {
          for (const h of s.afterAll) {
            try {
              await h();
            } catch (e) {
              failure ??= e;
            }
          }
        }
      }
      if (failure !== undefined) throw failure;
    },
  });
}

type Row = unknown[] | unknown;

/** Bun's each-name formatting: %s %d %i %p %o %j %# in order, $key for an object row. */
function eachName(template: string, row: Row, index: number): string {
  const args = Array.isArray(row) ? [...row] : [row];
  let name = template.replace(/%[sdipfoj#%]/g, (spec) => {
    if (spec === "%%") return "%";
    if (spec === "%#") return String(index);
    const v = args.shift();
    return spec === "%s" && typeof v === "string" ? v : show(v);
  });
  if (!Array.isArray(row) && isObject(row)) name = name.replace(/\$([A-Za-z_]\w*)/g, (m, k: string) => (k in row ? show((row as Record<string, unknown>)[k]) : m));
  return name;
}

function each<F extends (name: string, body: any) => void>(table: readonly Row[], define: F) {
  return (template: string, fn: (...a: any[]) => unknown) => {
    table.forEach((row, i) => define(eachName(template, row, i), () => (Array.isArray(row) ? fn(...row) : fn(row))));
  };
}

type TestFn = ((name: string, fn?: Fn, _timeout?: number) => void) & {
  each(table: readonly Row[]): (name: string, fn: (...a: any[]) => unknown, _timeout?: number) => void;
  skip(name: string, fn?: Fn): void;
  todo(name: string, fn?: Fn): void;
  only(name: string, fn?: Fn): void;
  if(cond: boolean): (name: string, fn?: Fn) => void;
  skipIf(cond: boolean): (name: string, fn?: Fn) => void;
};

export const test: TestFn = Object.assign((name: string, fn?: Fn) => register(name, fn, false), {
  skip: (name: string, fn?: Fn) => register(name, fn, true),
  todo: (name: string, fn?: Fn) => register(name, fn, true),
  only: (name: string, fn?: Fn) => register(name, fn, false),
  if: (cond: boolean) => (name: string, fn?: Fn) => register(name, fn, !cond),
  skipIf: (cond: boolean) => (name: string, fn?: Fn) => register(name, fn, cond),
  each: (table: readonly Row[]) => each(table, (name: string, fn: Fn) => register(name, fn, false)),
});
export const it = test;

function runDescribe(name: string, body: () => void, skip: boolean): void {
  const scope = newScope(name, current);
  const prev = current;
  current = scope;
  if (skip) skipDepth++;
  try {
    body();
  } finally {
    if (skip) skipDepth--;
    current = prev;
  }
}

type DescribeFn = ((name: string, body: () => void) => void) & {
  each(table: readonly Row[]): (name: string, body: (...a: any[]) => void) => void;
  skip(name: string, body: () => void): void;
  only(name: string, body: () => void): void;
  if(cond: boolean): (name: string, body: () => void) => void;
  skipIf(cond: boolean): (name: string, body: () => void) => void;
};

export const describe: DescribeFn = Object.assign((name: string, body: () => void) => runDescribe(name, body, false), {
  skip: (name: string, body: () => void) => runDescribe(name, body, true),
  only: (name: string, body: () => void) => runDescribe(name, body, false),
  if: (cond: boolean) => (name: string, body: () => void) => runDescribe(name, body, !cond),
  skipIf: (cond: boolean) => (name: string, body: () => void) => runDescribe(name, body, cond),
  each: (table: readonly Row[]) => each(table, (name: string, body: () => void) => runDescribe(name, body, false)),
});

export const beforeAll = (fn: Fn): void => void current.beforeAll.push(fn);
export const afterAll = (fn: Fn): void => void current.afterAll.push(fn);
export const beforeEach = (fn: Fn): void => void current.beforeEach.push(fn);
export const afterEach = (fn: Fn): void => void current.afterEach.push(fn);

// ---- expect ----------------------------------------------------------------------------------------------

const show = (v: unknown): string => {
  try {
    return Deno.inspect(v, { depth: 6 });
  } catch {
    return String(v);
  }
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** expect.any / objectContaining / stringContaining: an expected value that decides for itself. */
class Asymmetric {
  constructor(
    readonly label: string,
    readonly matches: (actual: unknown) => boolean,
  ) {}
  [Symbol.for("Deno.customInspect")](): string {
    return this.label;
  }
}

/** Bun's toEqual: recursive, ignores undefined properties, compares typed arrays, Maps, Sets, Dates. */
function equals(a: unknown, b: unknown, partial = false): boolean {
  if (b instanceof Asymmetric) return b.matches(a);
  if (Object.is(a, b)) return true;
  if (!isObject(a) || !isObject(b)) return false;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof RegExp && b instanceof RegExp) return String(a) === String(b);
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    // Bun compares bytes: a Buffer equals a Uint8Array with the same contents.
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => equals(v, b[i], partial));
  }
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !equals(v, b.get(k), partial)) return false;
    return true;
  }
  if (a instanceof Set && b instanceof Set) {
    if (a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  if (a instanceof Error && b instanceof Error && a.message !== b.message) return false;
  const keys = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
  if (partial) return keys(b).every((k) => equals(a[k], b[k], true));
  const ka = keys(a);
  const kb = keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equals(a[k], b[k]));
}

function errorMatches(err: unknown, expected: unknown): boolean {
  if (expected === undefined) return true;
  const msg = err instanceof Error ? err.message : String(err);
  if (typeof expected === "string") return msg.includes(expected);
  if (expected instanceof RegExp) return expected.test(msg);
  if (typeof expected === "function") return err instanceof (expected as new (...a: unknown[]) => unknown);
  if (expected instanceof Error) return msg === expected.message;
  return false;
}

interface Matchers {
  toBe(v: unknown): void;
  toEqual(v: unknown): void;
  toStrictEqual(v: unknown): void;
  toMatchObject(v: unknown): void;
  toHaveLength(n: number): void;
  toBeNull(): void;
  toBeUndefined(): void;
  toBeDefined(): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toBeNaN(): void;
  toContain(v: unknown): void;
  toMatch(v: string | RegExp): void;
  toStartWith(s: string): void;
  toEndWith(s: string): void;
  toBeInstanceOf(c: unknown): void;
  toBeGreaterThan(n: number): void;
  toBeGreaterThanOrEqual(n: number): void;
  toBeLessThan(n: number): void;
  toBeLessThanOrEqual(n: number): void;
  toBeCloseTo(n: number, digits?: number): void;
  toHaveProperty(path: string, value?: unknown): void;
  toThrow(expected?: unknown): void;
}

type Expectation = Matchers & {
  not: Matchers;
  resolves: { [K in keyof Matchers]: (...a: Parameters<Matchers[K]>) => Promise<void> };
  rejects: { [K in keyof Matchers]: (...a: Parameters<Matchers[K]>) => Promise<void> };
};

function checks(actual: unknown): Record<keyof Matchers, (...a: any[]) => [boolean, string]> {
  const a = actual as any;
  return {
    toBe: (v) => [Object.is(a, v), `expected ${show(a)} to be ${show(v)}`],
    toEqual: (v) => [equals(a, v), `expected ${show(a)} to equal ${show(v)}`],
    toStrictEqual: (v) => [equals(a, v), `expected ${show(a)} to strictly equal ${show(v)}`],
    toMatchObject: (v) => [equals(a, v, true), `expected ${show(a)} to match object ${show(v)}`],
    toHaveLength: (n) => [a?.length === n, `expected length ${n}, got ${a?.length} (${show(a)})`],
    toBeNull: () => [a === null, `expected ${show(a)} to be null`],
    toBeUndefined: () => [a === undefined, `expected ${show(a)} to be undefined`],
    toBeDefined: () => [a !== undefined, `expected a defined value`],
    toBeTruthy: () => [!!a, `expected ${show(a)} to be truthy`],
    toBeFalsy: () => [!a, `expected ${show(a)} to be falsy`],
    toBeNaN: () => [Number.isNaN(a), `expected ${show(a)} to be NaN`],
    toContain: (v) => [typeof a === "string" ? a.includes(v) : [...(a ?? [])].some((x) => Object.is(x, v)), `expected ${show(a)} to contain ${show(v)}`],
    toMatch: (v) => [typeof v === "string" ? String(a).includes(v) : v.test(String(a)), `expected ${show(a)} to match ${show(v)}`],
    toStartWith: (s) => [String(a).startsWith(s), `expected ${show(a)} to start with ${show(s)}`],
    toEndWith: (s) => [String(a).endsWith(s), `expected ${show(a)} to end with ${show(s)}`],
    toBeInstanceOf: (c) => [a instanceof c, `expected ${show(a)} to be an instance of ${c?.name}`],
    toBeGreaterThan: (n) => [a > n, `expected ${a} > ${n}`],
    toBeGreaterThanOrEqual: (n) => [a >= n, `expected ${a} >= ${n}`],
    toBeLessThan: (n) => [a < n, `expected ${a} < ${n}`],
    toBeLessThanOrEqual: (n) => [a <= n, `expected ${a} <= ${n}`],
    toBeCloseTo: (n, digits = 2) => [Math.abs(a - n) < 10 ** -digits / 2, `expected ${a} to be close to ${n}`],
    toHaveProperty: (path: string, ...value: unknown[]) => {
      let o = a;
      for (const k of path.split(".")) {
        if (!isObject(o) || !(k in o)) return [false, `expected ${show(a)} to have property ${path}`];
        o = (o as Record<string, unknown>)[k];
      }
      return [value.length === 0 || equals(o, value[0]), `expected ${path} of ${show(a)} to be ${show(value[0])}`];
    },
    toThrow: (expected) => {
      if (typeof a !== "function") return [errorMatches(a, expected), `expected error ${show(a)} to match ${show(expected)}`];
      try {
        a();
      } catch (e) {
        return [errorMatches(e, expected), `expected thrown ${show(e)} to match ${show(expected)}`];
      }
      return [false, `expected the function to throw`];
    },
  };
}

function matchers(actual: unknown, negate: boolean): Matchers {
  const c = checks(actual);
  const out = {} as Record<string, (...a: unknown[]) => void>;
  for (const [name, check] of Object.entries(c)) {
    out[name] = (...args: unknown[]) => {
      const [pass, message] = check(...args);
      if (pass === negate) throw new Error(negate ? `not: ${message}` : message);
    };
  }
  return out as unknown as Matchers;
}

function later(promise: () => Promise<unknown>, negate: boolean) {
  const out = {} as Record<string, (...a: unknown[]) => Promise<void>>;
  for (const name of Object.keys(checks(undefined))) {
    out[name] = async (...args: unknown[]) => {
      const v = await promise();
      (matchers(v, negate) as unknown as Record<string, (...a: unknown[]) => void>)[name]!(...args);
    };
  }
  return out;
}

const PRIMITIVE_OF = new Map<unknown, string>([
  [String, "string"],
  [Number, "number"],
  [Boolean, "boolean"],
  [BigInt, "bigint"],
  [Symbol, "symbol"],
]);

const asymmetric = {
  any: (c: unknown) =>
    new Asymmetric(`Any<${(c as { name?: string }).name}>`, (a) => typeof a === PRIMITIVE_OF.get(c) || (typeof c === "function" && a instanceof c)),
  anything: () => new Asymmetric("Anything", (a) => a !== null && a !== undefined),
  objectContaining: (o: object) => new Asymmetric(`ObjectContaining ${show(o)}`, (a) => equals(a, o, true)),
  stringContaining: (sub: string) => new Asymmetric(`StringContaining ${show(sub)}`, (a) => typeof a === "string" && a.includes(sub)),
  stringMatching: (re: RegExp | string) =>
    new Asymmetric(`StringMatching ${show(re)}`, (a) => typeof a === "string" && (typeof re === "string" ? a.includes(re) : re.test(a))),
  arrayContaining: (xs: unknown[]) =>
    new Asymmetric(`ArrayContaining ${show(xs)}`, (a) => Array.isArray(a) && xs.every((x) => a.some((y) => equals(y, x)))),
};

export const expect: ((actual: unknown) => Expectation) & typeof asymmetric = Object.assign(expectThat, asymmetric);

function expectThat(actual: unknown): Expectation {
  return Object.assign(matchers(actual, false), {
    not: matchers(actual, true),
    resolves: later(() => Promise.resolve(actual), false),
    rejects: later(async () => {
      try {
        await actual;
      } catch (e) {
        return e;
      }
      throw new Error("expected the promise to reject");
    }, false),
  }) as unknown as Expectation;
}
