/**
 * Vectors ported from nats-server conf/lex_test.go. Items are compared as [type, value, line]; columns
 * are checked separately below because natsedge reports 1-based columns of a token's first character
 * where Go mixes 0- and 1-based offsets.
 *
 * Deliberate differences from the Go expectations (see src/config/lexer.ts):
 * - a multi-line token reports the line it starts on (TestKeyDanglingQuotedString, TestBlockString);
 * - `\xe9` yields "é" (U+00E9), not the raw byte 0xE9 (TestBinaryStringLatin1);
 * - the JSON-compat vectors only check items, not Go's positions.
 */
import { describe, expect, test } from "bun:test";
import { type Item, ItemType as T, Lexer } from "../../../src/config/lexer.ts";

type Row = [string, string, number];

function lex(input: string): Item[] {
  const lx = new Lexer(input);
  const out: Item[] = [];
  for (;;) {
    const it = lx.nextItem();
    if (it.type === T.EOF) return out;
    out.push(it);
    if (it.type === T.Error) return out;
  }
}

const rows = (input: string): Row[] => lex(input).map((i) => [i.type, i.value, i.line]);

const cases: [string, string, Row[]][] = [
  ["TestPlainValue", "foo", [[T.Key, "foo", 1]]],
  ["TestSimpleKeyStringValues double quotes", 'foo = "bar"', [[T.Key, "foo", 1], [T.String, "bar", 1]]],
  ["TestSimpleKeyStringValues single quotes", "foo = 'bar'", [[T.Key, "foo", 1], [T.String, "bar", 1]]],
  ["TestSimpleKeyStringValues no spaces", "foo='bar'", [[T.Key, "foo", 1], [T.String, "bar", 1]]],
  ["TestSimpleKeyStringValues CRLF", "foo='bar'\r\n", [[T.Key, "foo", 1], [T.String, "bar", 1]]],
  ["TestSimpleKeyStringValues tabs", "foo=\t'bar'\t", [[T.Key, "foo", 1], [T.String, "bar", 1]]],
  ["TestComplexStringValues", "foo = 'bar\\r\\n  \\t'", [[T.Key, "foo", 1], [T.String, "bar\\r\\n  \\t", 1]]],
  ["TestBinaryString", "foo = \\x65", [[T.Key, "foo", 1], [T.String, "e", 1]]],
  ["TestBinaryStringLatin1", "foo = \\xe9", [[T.Key, "foo", 1], [T.String, "\u00e9", 1]]],
  ["TestSimpleKeyIntegerValues", "foo = 123", [[T.Key, "foo", 1], [T.Integer, "123", 1]]],
  ["TestSimpleKeyIntegerValues no spaces", "foo=123\r\n", [[T.Key, "foo", 1], [T.Integer, "123", 1]]],
  ["TestSimpleKeyNegativeIntegerValues", "foo = -123", [[T.Key, "foo", 1], [T.Integer, "-123", 1]]],
  ["TestSimpleKeyNegativeIntegerValues no spaces", "foo=-123\r\n", [[T.Key, "foo", 1], [T.Integer, "-123", 1]]],
  ["TestConvenientIntegerValues 1k", "foo = 1k", [[T.Key, "foo", 1], [T.Integer, "1k", 1]]],
  ["TestConvenientIntegerValues 1K", "foo = 1K", [[T.Key, "foo", 1], [T.Integer, "1K", 1]]],
  ["TestConvenientIntegerValues 1m", "foo = 1m", [[T.Key, "foo", 1], [T.Integer, "1m", 1]]],
  ["TestConvenientIntegerValues 1M", "foo = 1M", [[T.Key, "foo", 1], [T.Integer, "1M", 1]]],
  ["TestConvenientIntegerValues 1g", "foo = 1g", [[T.Key, "foo", 1], [T.Integer, "1g", 1]]],
  ["TestConvenientIntegerValues 1G", "foo = 1G", [[T.Key, "foo", 1], [T.Integer, "1G", 1]]],
  ["TestConvenientIntegerValues 1MB", "foo = 1MB", [[T.Key, "foo", 1], [T.Integer, "1MB", 1]]],
  ["TestConvenientIntegerValues 1Gb", "foo = 1Gb", [[T.Key, "foo", 1], [T.Integer, "1Gb", 1]]],
  ["TestConvenientIntegerValues -1m", "foo = -1m", [[T.Key, "foo", 1], [T.Integer, "-1m", 1]]],
  ["TestConvenientIntegerValues -1GB", "foo = -1GB ", [[T.Key, "foo", 1], [T.Integer, "-1GB", 1]]],
  ["TestConvenientIntegerValues 64MiB", "foo = 64MiB", [[T.Key, "foo", 1], [T.Integer, "64MiB", 1]]],
  ["TestConvenientIntegerValues 0K1abc (#8263)", "foo = 0K1abc", [[T.Key, "foo", 1], [T.String, "0K1abc", 1]]],
  ["TestConvenientIntegerValues 5e7bcd (#8263)", "foo = 5e7bcd-abc10", [[T.Key, "foo", 1], [T.String, "5e7bcd-abc10", 1]]],
  ["TestConvenientIntegerValues 1Ghz (#3434)", "foo = 1Ghz", [[T.Key, "foo", 1], [T.String, "1Ghz", 1]]],
  ["TestSimpleKeyFloatValues", "foo = 22.2", [[T.Key, "foo", 1], [T.Float, "22.2", 1]]],
  ["TestSimpleKeyFloatValues no spaces", "foo=22.2\r\n", [[T.Key, "foo", 1], [T.Float, "22.2", 1]]],
  [
    "TestBadBinaryStringEndingAfterZeroHexChars",
    "foo = xyz\\x\n",
    [[T.Key, "foo", 1], [T.Error, "Expected two hexadecimal digits after '\\x', but hit end of line", 2]],
  ],
  [
    "TestBadBinaryStringEndingAfterOneHexChar",
    "foo = xyz\\xF\n",
    [[T.Key, "foo", 1], [T.Error, "Expected two hexadecimal digits after '\\x', but hit end of line", 2]],
  ],
  [
    "TestBadBinaryStringWithZeroHexChars",
    'foo = "[\\x]"',
    [[T.Key, "foo", 1], [T.Error, "Expected two hexadecimal digits after '\\x', but got ']\"'", 1]],
  ],
  [
    "TestBadBinaryStringWithOneHexChar",
    'foo = "[\\xe]"',
    [[T.Key, "foo", 1], [T.Error, "Expected two hexadecimal digits after '\\x', but got 'e]'", 1]],
  ],
  ["TestBadFloatValues", "foo = .2", [[T.Key, "foo", 1], [T.Error, "Floats must start with a digit", 1]]],
  ["TestBadKey", " :foo = 22", [[T.Error, "Unexpected key separator ':'", 1]]],
  ["TestSimpleKeyBoolValues", "foo = true", [[T.Key, "foo", 1], [T.Bool, "true", 1]]],
  ["TestSimpleKeyBoolValues CRLF", "foo=true\r\n", [[T.Key, "foo", 1], [T.Bool, "true", 1]]],
  ["TestComments hash", "# This is a comment", [[T.CommentStart, "", 1], [T.Text, " This is a comment", 1]]],
  ["TestComments slashes", "// This is a comment\r\n", [[T.CommentStart, "", 1], [T.Text, " This is a comment", 1]]],
  [
    "TestTopValuesWithComments",
    "foo = 123 // This is a comment",
    [[T.Key, "foo", 1], [T.Integer, "123", 1], [T.CommentStart, "", 1], [T.Text, " This is a comment", 1]],
  ],
  ["TestRawString", "foo = bar", [[T.Key, "foo", 1], [T.String, "bar", 1]]],
  ["TestRawString ends at a quote", "foo = bar' ", [[T.Key, "foo", 1], [T.String, "bar", 1]]],
  ["TestDateValues", "foo = 2016-05-04T18:53:41Z", [[T.Key, "foo", 1], [T.Datetime, "2016-05-04T18:53:41Z", 1]]],
  ["TestVariableValues", "foo = $bar", [[T.Key, "foo", 1], [T.Variable, "bar", 1]]],
  ["TestVariableValues whitespace separator", "foo $bar", [[T.Key, "foo", 1], [T.Variable, "bar", 1]]],
  [
    "TestArrays",
    "foo = [1, 2, 3, 'bar']",
    [
      [T.Key, "foo", 1],
      [T.ArrayStart, "", 1],
      [T.Integer, "1", 1],
      [T.Integer, "2", 1],
      [T.Integer, "3", 1],
      [T.String, "bar", 1],
      [T.ArrayEnd, "", 1],
    ],
  ],
  [
    "TestArrays of bare integers ends the last one at ']' (Go makes it a string)",
    "foo = [1,2]",
    [[T.Key, "foo", 1], [T.ArrayStart, "", 1], [T.Integer, "1", 1], [T.Integer, "2", 1], [T.ArrayEnd, "", 1]],
  ],
  [
    "TestMultilineArrays",
    "\n# top level comment\nfoo = [\n 1, # One\n 2, // Two\n 3 # Three\n 'bar'     ,\n \"bar\"\n]\n",
    [
      [T.CommentStart, "", 2],
      [T.Text, " top level comment", 2],
      [T.Key, "foo", 3],
      [T.ArrayStart, "", 3],
      [T.Integer, "1", 4],
      [T.CommentStart, "", 4],
      [T.Text, " One", 4],
      [T.Integer, "2", 5],
      [T.CommentStart, "", 5],
      [T.Text, " Two", 5],
      [T.Integer, "3", 6],
      [T.CommentStart, "", 6],
      [T.Text, " Three", 6],
      [T.String, "bar", 7],
      [T.String, "bar", 8],
      [T.ArrayEnd, "", 9],
    ],
  ],
  [
    "TestMultilineArraysNoSep",
    "\nfoo = [\n 1 // foo\n 2\n 3\n 'bar'\n \"bar\"\n]\n",
    [
      [T.Key, "foo", 2],
      [T.ArrayStart, "", 2],
      [T.Integer, "1", 3],
      [T.CommentStart, "", 3],
      [T.Text, " foo", 3],
      [T.Integer, "2", 4],
      [T.Integer, "3", 5],
      [T.String, "bar", 6],
      [T.String, "bar", 7],
      [T.ArrayEnd, "", 8],
    ],
  ],
  [
    "TestSimpleMap",
    "foo = {ip='127.0.0.1', port = 4242}",
    [
      [T.Key, "foo", 1],
      [T.MapStart, "", 1],
      [T.Key, "ip", 1],
      [T.String, "127.0.0.1", 1],
      [T.Key, "port", 1],
      [T.Integer, "4242", 1],
      [T.MapEnd, "", 1],
    ],
  ],
  [
    "TestMultilineMap",
    "\nfoo = {\n  ip = '127.0.0.1' # the IP\n  port= 4242 // the port\n}\n",
    [
      [T.Key, "foo", 2],
      [T.MapStart, "", 2],
      [T.Key, "ip", 3],
      [T.String, "127.0.0.1", 3],
      [T.CommentStart, "", 3],
      [T.Text, " the IP", 3],
      [T.Key, "port", 4],
      [T.Integer, "4242", 4],
      [T.CommentStart, "", 4],
      [T.Text, " the port", 4],
      [T.MapEnd, "", 5],
    ],
  ],
  [
    "TestNestedWhitespaceMaps",
    "\nfoo  {\n  host  {\n    ip = '127.0.0.1'\n    port= 4242\n  }\n}\n",
    [
      [T.Key, "foo", 2],
      [T.MapStart, "", 2],
      [T.Key, "host", 3],
      [T.MapStart, "", 3],
      [T.Key, "ip", 4],
      [T.String, "127.0.0.1", 4],
      [T.Key, "port", 5],
      [T.Integer, "4242", 5],
      [T.MapEnd, "", 6],
      [T.MapEnd, "", 7],
    ],
  ],
  ["TestQuotedKeys single", "'foo' : 123", [[T.Key, "foo", 1], [T.Integer, "123", 1]]],
  ["TestQuotedKeys double", '"foo" : 123', [[T.Key, "foo", 1], [T.Integer, "123", 1]]],
  ["TestQuotedKeysWithSpace", "' foo' : 123", [[T.Key, " foo", 1], [T.Integer, "123", 1]]],
  ["TestColonKeySep", "foo:123", [[T.Key, "foo", 1], [T.Integer, "123", 1]]],
  ["TestColonKeySep CRLF", "foo:  123\r\n", [[T.Key, "foo", 1], [T.Integer, "123", 1]]],
  ["TestWhitespaceKeySep", "foo 123", [[T.Key, "foo", 1], [T.Integer, "123", 1]]],
  ["TestWhitespaceKeySep tabs", "foo\t\t123\r\n", [[T.Key, "foo", 1], [T.Integer, "123", 1]]],
  [
    "TestEscapedString",
    "\nfoo  = \\t\nbar  = \\r\nbaz  = \\n\nq    = \\\"\nbs   = \\\\\n",
    [
      [T.Key, "foo", 2],
      [T.String, "\t", 2],
      [T.Key, "bar", 3],
      [T.String, "\r", 3],
      [T.Key, "baz", 4],
      [T.String, "\n", 4],
      [T.Key, "q", 5],
      [T.String, '"', 5],
      [T.Key, "bs", 6],
      [T.String, "\\", 6],
    ],
  ],
  ["TestCompoundStringES", 'foo = "\\\\end"', [[T.Key, "foo", 1], [T.String, "\\end", 1]]],
  ["TestCompoundStringSE", 'foo = "start\\\\"', [[T.Key, "foo", 1], [T.String, "start\\", 1]]],
  ["TestCompoundStringEE", "foo = \\x45\\x71", [[T.Key, "foo", 1], [T.String, "Eq", 1]]],
  ["TestCompoundStringSEE", "foo = start\\x45\\x71", [[T.Key, "foo", 1], [T.String, "startEq", 1]]],
  ["TestCompoundStringSES", "foo = start\\x7Cend", [[T.Key, "foo", 1], [T.String, "start|end", 1]]],
  ["TestCompoundStringEES", "foo = \\x3c\\x3eend", [[T.Key, "foo", 1], [T.String, "<>end", 1]]],
  ["TestCompoundStringESE", "foo = \\x3cmiddle\\x3E", [[T.Key, "foo", 1], [T.String, "<middle>", 1]]],
  [
    "TestBadStringEscape",
    "foo = \\y",
    [
      [T.Key, "foo", 1],
      [
        T.Error,
        "Invalid escape character 'y'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\.",
        1,
      ],
    ],
  ],
  ["TestNonBool", "foo = \\\\true", [[T.Key, "foo", 1], [T.String, "\\true", 1]]],
  ["TestNonVariable", "foo = \\\\$var", [[T.Key, "foo", 1], [T.String, "\\$var", 1]]],
  ["TestEmptyStringDQ", 'foo = ""', [[T.Key, "foo", 1], [T.String, "", 1]]],
  ["TestEmptyStringSQ", "foo = ''", [[T.Key, "foo", 1], [T.String, "", 1]]],
  [
    "TestOptionalSemicolons",
    "\nfoo = 123;\nbar = 'baz';\nbaz = 'boo'\nmap {\n id = 1;\n}\n",
    [
      [T.Key, "foo", 2],
      [T.Integer, "123", 2],
      [T.Key, "bar", 3],
      [T.String, "baz", 3],
      [T.Key, "baz", 4],
      [T.String, "boo", 4],
      [T.Key, "map", 5],
      [T.MapStart, "", 5],
      [T.Key, "id", 6],
      [T.Integer, "1", 6],
      [T.MapEnd, "", 7],
    ],
  ],
  [
    "TestSemicolonChaining",
    "foo='1'; bar=2.2; baz=true;",
    [[T.Key, "foo", 1], [T.String, "1", 1], [T.Key, "bar", 1], [T.Float, "2.2", 1], [T.Key, "baz", 1], [T.Bool, "true", 1]],
  ],
  [
    "TestNonQuotedStrings",
    "\nfoo = 123\nbar = baz\nbaz=boo\nmap {\n id:one\n id2 : onetwo\n}\nt true\nf false\ntstr \"true\"\ntkey = two\nfkey = five # This should be a string\n",
    [
      [T.Key, "foo", 2],
      [T.Integer, "123", 2],
      [T.Key, "bar", 3],
      [T.String, "baz", 3],
      [T.Key, "baz", 4],
      [T.String, "boo", 4],
      [T.Key, "map", 5],
      [T.MapStart, "", 5],
      [T.Key, "id", 6],
      [T.String, "one", 6],
      [T.Key, "id2", 7],
      [T.String, "onetwo", 7],
      [T.MapEnd, "", 8],
      [T.Key, "t", 9],
      [T.Bool, "true", 9],
      [T.Key, "f", 10],
      [T.Bool, "false", 10],
      [T.Key, "tstr", 11],
      [T.String, "true", 11],
      [T.Key, "tkey", 12],
      [T.String, "two", 12],
      [T.Key, "fkey", 13],
      [T.String, "five", 13],
      [T.CommentStart, "", 13],
      [T.Text, " This should be a string", 13],
    ],
  ],
  [
    "TestDanglingQuotedString",
    '\nlisten: "localhost:4242\n\nhttp: localhost:8222\n',
    [[T.Key, "listen", 2], [T.Error, "Unexpected EOF.", 5]],
  ],
  [
    "TestKeyDanglingQuotedString (string reported on its first line)",
    '\nfoo = "\nlisten: "\n\nhttp: localhost:8222\n\n"\n',
    [
      [T.Key, "foo", 2],
      [T.String, "\nlisten: ", 2],
      [T.Key, "http", 5],
      [T.String, "localhost:8222", 5],
      [T.Error, "Unexpected EOF.", 8],
    ],
  ],
  [
    "TestDanglingSingleQuotedString",
    "\nlisten: 'localhost:4242\n\nhttp: localhost:8222\n",
    [[T.Key, "listen", 2], [T.Error, "Unexpected EOF.", 5]],
  ],
  [
    "TestMapQuotedKeys",
    "foo = {'bar' = 4242}",
    [[T.Key, "foo", 1], [T.MapStart, "", 1], [T.Key, "bar", 1], [T.Integer, "4242", 1], [T.MapEnd, "", 1]],
  ],
  [
    "TestSpecialCharsMapQuotedKeys",
    'foo = {"bar-1.2.3" = { port:4242 }}',
    [
      [T.Key, "foo", 1],
      [T.MapStart, "", 1],
      [T.Key, "bar-1.2.3", 1],
      [T.MapStart, "", 1],
      [T.Key, "port", 1],
      [T.Integer, "4242", 1],
      [T.MapEnd, "", 1],
      [T.MapEnd, "", 1],
    ],
  ],
  [
    "TestDoubleNestedMapsNewLines",
    '\nsystems {\n  allinone {\n    description: "This is a description."\n  }\n}\n',
    [
      [T.Key, "systems", 2],
      [T.MapStart, "", 2],
      [T.Key, "allinone", 3],
      [T.MapStart, "", 3],
      [T.Key, "description", 4],
      [T.String, "This is a description.", 4],
      [T.MapEnd, "", 5],
      [T.MapEnd, "", 6],
    ],
  ],
  ["TestBlockString (reported on its first line)", "\nnumbers (\n1234567890\n)\n", [[T.Key, "numbers", 2], [T.String, "\n1234567890\n", 2]]],
  ["TestBlockStringEOF (NUL reads as end of input)", "\nnumbers (\n1234567890\n)\0", [[T.Key, "numbers", 2], [T.String, "\n1234567890\n", 2]]],
  [
    "TestBlockStringMultiLine",
    "\nnumbers (\n  12(34)56\n  (\n    7890\n  )\n)\n",
    [[T.Key, "numbers", 2], [T.String, "\n  12(34)56\n  (\n    7890\n  )\n", 2]],
  ],
  ["TestUnquotedIPAddr host:port", "listen: 127.0.0.1:4222", [[T.Key, "listen", 1], [T.String, "127.0.0.1:4222", 1]]],
  ["TestUnquotedIPAddr ip", "listen: 127.0.0.1", [[T.Key, "listen", 1], [T.String, "127.0.0.1", 1]]],
  ["TestUnquotedIPAddr name", "listen: apcera.me:80", [[T.Key, "listen", 1], [T.String, "apcera.me:80", 1]]],
  ["TestUnquotedIPAddr random port", "listen: nats.io:-1", [[T.Key, "listen", 1], [T.String, "nats.io:-1", 1]]],
  ["TestUnquotedIPAddr -1", "listen: -1", [[T.Key, "listen", 1], [T.Integer, "-1", 1]]],
  ["TestUnquotedIPAddr :-1", "listen: :-1", [[T.Key, "listen", 1], [T.String, ":-1", 1]]],
  ["TestUnquotedIPAddr :80", "listen = :80", [[T.Key, "listen", 1], [T.String, ":80", 1]]],
  [
    "TestUnquotedIPAddr array",
    "listen = [localhost:4222, localhost:4333]",
    [[T.Key, "listen", 1], [T.ArrayStart, "", 1], [T.String, "localhost:4222", 1], [T.String, "localhost:4333", 1], [T.ArrayEnd, "", 1]],
  ],
  [
    "TestArrayOfMaps",
    "\nauthorization {\n    users = [\n      {user: alice, password: foo}\n      {user: bob,   password: bar}\n    ]\n    timeout: 0.5\n}\n",
    [
      [T.Key, "authorization", 2],
      [T.MapStart, "", 2],
      [T.Key, "users", 3],
      [T.ArrayStart, "", 3],
      [T.MapStart, "", 4],
      [T.Key, "user", 4],
      [T.String, "alice", 4],
      [T.Key, "password", 4],
      [T.String, "foo", 4],
      [T.MapEnd, "", 4],
      [T.MapStart, "", 5],
      [T.Key, "user", 5],
      [T.String, "bob", 5],
      [T.Key, "password", 5],
      [T.String, "bar", 5],
      [T.MapEnd, "", 5],
      [T.ArrayEnd, "", 6],
      [T.Key, "timeout", 7],
      [T.Float, "0.5", 7],
      [T.MapEnd, "", 8],
    ],
  ],
  ["TestInclude double quotes", 'include "users.conf"', [[T.Include, "users.conf", 1]]],
  ["TestInclude single quotes", "include 'users.conf'", [[T.Include, "users.conf", 1]]],
  ["TestInclude bare", "include users.conf", [[T.Include, "users.conf", 1]]],
  [
    "TestMapInclude",
    "foo { include users.conf }",
    [[T.Key, "foo", 1], [T.MapStart, "", 1], [T.Include, "users.conf", 1], [T.MapEnd, "", 1]],
  ],
  [
    "TestMapInclude no spaces",
    "foo {include users.conf}",
    [[T.Key, "foo", 1], [T.MapStart, "", 1], [T.Include, "users.conf", 1], [T.MapEnd, "", 1]],
  ],
  [
    "TestMapInclude quoted",
    'foo { include "users.conf"}',
    [[T.Key, "foo", 1], [T.MapStart, "", 1], [T.Include, "users.conf", 1], [T.MapEnd, "", 1]],
  ],
  [
    "TestJSONCompat uglified JSON with inner blocks",
    '{"http_port": 8227,"port": 4227,"write_deadline": "1h","cluster": {"port": 6222,"routes": ["nats://127.0.0.1:4222","nats://127.0.0.1:4223"]}}\n',
    [
      [T.Key, "http_port", 1],
      [T.Integer, "8227", 1],
      [T.Key, "port", 1],
      [T.Integer, "4227", 1],
      [T.Key, "write_deadline", 1],
      [T.String, "1h", 1],
      [T.Key, "cluster", 1],
      [T.MapStart, "", 1],
      [T.Key, "port", 1],
      [T.Integer, "6222", 1],
      [T.Key, "routes", 1],
      [T.ArrayStart, "", 1],
      [T.String, "nats://127.0.0.1:4222", 1],
      [T.String, "nats://127.0.0.1:4223", 1],
      [T.ArrayEnd, "", 1],
      [T.MapEnd, "", 1],
    ],
  ],
  [
    "TestJSONCompat trailing commas at top level",
    '\n{\n  "http_port": 8223,\n  "port": 4223\n}\n',
    [[T.Key, "http_port", 3], [T.Integer, "8223", 3], [T.Key, "port", 4], [T.Integer, "4223", 4]],
  ],
];

describe("lexer matches nats-server conf/lex_test.go", () => {
  for (const [name, input, want] of cases) {
    test(name, () => expect(rows(input)).toEqual(want));
  }
});

describe("lexer positions", () => {
  const cols = (input: string) => lex(input).map((i) => [i.type, i.line, i.col]);

  test("keys and values report the 1-based column of their first character", () => {
    expect(cols("foo = \"bar\"")).toEqual([[T.Key, 1, 1], [T.String, 1, 8]]);
    expect(cols("\nfoo = {\n  ip = '127.0.0.1'\n  port= 4242\n}")).toEqual([
      [T.Key, 2, 1],
      [T.MapStart, 2, 8],
      [T.Key, 3, 3],
      [T.String, 3, 9],
      [T.Key, 4, 3],
      [T.Integer, 4, 9],
      [T.MapEnd, 5, 2],
    ]);
  });

  test("a variable reports the column of its '$'", () => {
    expect(cols("foo = $bar")).toEqual([[T.Key, 1, 1], [T.Variable, 1, 7]]);
  });

  test("an error reports the column where lexing stopped", () => {
    expect(cols(" :foo = 22")).toEqual([[T.Error, 1, 2]]);
    expect(cols("foo = xyz\\x\n")).toEqual([[T.Key, 1, 1], [T.Error, 2, 1]]);
  });
});

describe("lexer behaviour beyond the Go vectors", () => {
  test("digit-leading words that are not numbers are strings: durations, IPs, passwords", () => {
    for (const v of ["2s", "500ms", "1h", "1m30s", "3secret", "8m4dwr", "4e2abc", "1kbb"]) {
      expect(rows(`x = ${v}`)).toEqual([[T.Key, "x", 1], [T.String, v, 1]]);
    }
  });

  test("every size suffix form lexes as an integer", () => {
    for (const v of ["1k", "1kb", "1ki", "1kib", "2T", "3tb", "4P", "5pib", "6e", "7EB", "8Ei"]) {
      expect(rows(`x = ${v}`)).toEqual([[T.Key, "x", 1], [T.Integer, v, 1]]);
    }
  });

  test("booleans are case-insensitive bare words only", () => {
    for (const v of ["TRUE", "Yes", "on", "OFF", "no", "False"]) {
      expect(rows(`x = ${v}`)).toEqual([[T.Key, "x", 1], [T.Bool, v, 1]]);
    }
    expect(rows('x = "yes"')).toEqual([[T.Key, "x", 1], [T.String, "yes", 1]]);
  });

  test("curly quotes are ordinary characters of a bare string", () => {
    expect(rows("key : \u201cmykey\u201d")).toEqual([[T.Key, "key", 1], [T.String, "\u201cmykey\u201d", 1]]);
  });

  test("a URL with '//' inside a bare value is not a comment", () => {
    expect(rows("url: nats://h:4222 // trailing")).toEqual([
      [T.Key, "url", 1],
      [T.String, "nats://h:4222", 1],
      [T.CommentStart, "", 1],
      [T.Text, " trailing", 1],
    ]);
  });

  test("a map left open at the end of input is closed by an implicit MapEnd", () => {
    const items = lex("jetstream : {\nkey: x\nstore_dir: d");
    const last = items[items.length - 1];
    expect(last.type).toBe(T.MapEnd);
    expect(last.implicit).toBe(true);
  });

  test("an unterminated block string is an error, not an endless loop", () => {
    expect(rows("x (\nabc")).toEqual([[T.Key, "x", 1], [T.Error, "Unexpected EOF processing block.", 2]]);
  });

  test("a datetime must be complete Zulu form", () => {
    expect(rows("x = 2016-05-04T18:53Z")).toEqual([
      [T.Key, "x", 1],
      [T.Error, "Expected ':' in ISO8601 datetime, but found 'Z' instead.", 1],
    ]);
    expect(rows("x = 12-3")).toEqual([[T.Key, "x", 1], [T.Error, "All ISO8601 dates must be in full Zulu form.", 1]]);
  });
});
