/**
 * One cookie of a request, as Go's http.Request.Cookie finds it (nats-server reads jwt_cookie with it): every
 * Cookie header, `name=value` pairs split at `;`, the name matched exactly, one pair of double quotes around
 * the value dropped, and a value with bytes Go does not allow skipped.
 */

/** Go's validCookieValueByte: printable ASCII and space, but no double quote, semicolon or backslash. */
const VALUE = /^[\x20\x21\x23-\x3a\x3c-\x5b\x5d-\x7e]*$/;

/** The first valid value of cookie `name` in `headers`, or null. */
export function cookie(headers: Headers, name: string): string | null {
  const all = headers.get("cookie");
  if (all === null) return null;
  // Headers joins repeated Cookie lines with ", "; Go reads each line alone, but a pair never holds ";".
  for (const part of all.split(/;|, (?=[^=;,]+=)/)) {
    const p = part.trim();
    const eq = p.indexOf("=");
    if (eq <= 0 || p.slice(0, eq) !== name) continue;
    let v = p.slice(eq + 1);
    if (v.length > 1 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (VALUE.test(v)) return v;
  }
  return null;
}
