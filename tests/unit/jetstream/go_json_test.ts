import { expect, test } from "bun:test";
import { goDecodeStruct, GoJsonError, goObjectMembers } from "../../../src/jetstream/go_json.ts";
import { parsePull } from "../../../src/jetstream/pull.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const syntaxError = (s: string) => {
  try {
    goObjectMembers(bytes(s));
  } catch (err) {
    if (err instanceof GoJsonError) return err.message;
    throw err;
  }
  return "";
};

test("goObjectMembers() reports syntax errors in Go's words", () => {
  const cases: [string, string][] = [
    ['{"a":1}', ""],
    [' { "a" : [1, {"b": null}] , "c": "\\u00e9\\n" } ', ""],
    ["{nope", "invalid character 'n' looking for beginning of object key string"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['{"a":1', "unexpected end of JSON input"],
    ['{"a":1} x', "invalid character 'x' after top-level value"],
    ['{"a":tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"a":01}', "invalid character '1' after object key:value pair"],
    ['{"a":"\\q"}', "invalid character 'q' in string escape code"],
    ['{"a":"\\u12g4"}', "invalid character 'g' in \\u hexadecimal character escape"],
    ['{"a":1.e5}', "invalid character 'e' after decimal point in numeric literal"],
    ['{"a":-}', "invalid character '}' in numeric literal"],
    ['{"a":[1 2]}', "invalid character '2' after array element"],
    ['{"a":1e}', "invalid character '}' in exponent of numeric literal"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":\'x\'}', "invalid character '\\'' looking for beginning of value"],
    ['{"a":"\t"}', "invalid character '\\t' in string literal"],
    ['{"a":é}', "invalid character 'Ã' looking for beginning of value"],
  ];
  for (const [input, message] of cases) expect(syntaxError(input), input).toBe(message);
});

test("goDecodeStruct() matches keys as Go does and words type errors as Unmarshal does", () => {
  const fields = { batch: "int", no_wait: "bool", expires: "time.Duration" } as const;
  expect(goDecodeStruct(bytes('{"BATCH":3,"No_Wait":true,"other":"x","expires":null}'), "R", fields)).toEqual({ batch: 3, no_wait: true });
  const typeError = (s: string) => () => goDecodeStruct(bytes(s), "R", fields);
  expect(typeError('{"batch":"3"}')).toThrow("json: cannot unmarshal string into Go struct field R.batch of type int");
  expect(typeError('{"batch":1.5}')).toThrow("json: cannot unmarshal number 1.5 into Go struct field R.batch of type int");
  expect(typeError('{"batch":99999999999999999999}')).toThrow("json: cannot unmarshal number 99999999999999999999 into Go struct field R.batch of type int");
  expect(typeError('{"no_wait":1}')).toThrow("json: cannot unmarshal number into Go struct field R.no_wait of type bool");
  expect(typeError('{"expires":{},"batch":[]}')).toThrow("json: cannot unmarshal object into Go struct field R.expires of type time.Duration");
});

test("parsePull() reads a body as nats-server's nextReqFromMsg does", () => {
  const base = { batch: 1, maxBytes: 0, noWait: false, expiresMs: 0, heartbeatMs: 0 };
  expect(parsePull(bytes(""))).toEqual(base);
  expect(parsePull(bytes(" 7 "))).toEqual({ ...base, batch: 7 });
  expect(parsePull(bytes("abc"))).toEqual(base);
  expect(parsePull(bytes("-5"))).toEqual(base);
  expect(parsePull(bytes('{"batch":5,"expires":2000000000,"idle_heartbeat":500000000,"max_bytes":10,"no_wait":true}')))
    .toEqual({ batch: 5, maxBytes: 10, noWait: true, expiresMs: 2000, heartbeatMs: 500 });
  expect(parsePull(bytes('{"expires":-1}'))).toEqual({ ...base, expiresMs: -1e-6 });
  expect(parsePull(bytes('{"expires":1000000000,"idle_heartbeat":600000000}'))).toBe("Bad Request - heartbeat value too large");
  expect(parsePull(bytes('{"batch":"x"}'))).toBe("Bad Request - json: cannot unmarshal string into Go struct field JSApiConsumerGetNextRequest.batch of type int");
});
