import { describe, expect, test } from "bun:test";
import { cookie } from "../../../src/websocket/cookie.ts";

const h = (...lines: string[]) => {
  const headers = new Headers();
  for (const l of lines) headers.append("Cookie", l);
  return headers;
};

describe("cookie, as Go's Request.Cookie reads it", () => {
  test("finds the named pair among others", () => {
    expect(cookie(h("a=1; jwt=eyJ.x.y; b=2"), "jwt")).toBe("eyJ.x.y");
  });

  test("matches the name exactly", () => {
    expect(cookie(h("JWT=1; jwtx=2"), "jwt")).toBeNull();
  });

  test("drops one pair of quotes around the value", () => {
    expect(cookie(h('jwt="abc"'), "jwt")).toBe("abc");
  });

  test("skips a value Go finds invalid and takes the next valid one", () => {
    expect(cookie(h('jwt=a\\b; jwt=good'), "jwt")).toBe("good");
  });

  test("reads every Cookie header line", () => {
    expect(cookie(h("a=1", "jwt=second"), "jwt")).toBe("second");
  });

  test("no Cookie header, no value", () => {
    expect(cookie(new Headers(), "jwt")).toBeNull();
  });
});
