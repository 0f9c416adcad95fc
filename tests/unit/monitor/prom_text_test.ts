/** The Prometheus text writer: escaping, family grouping and the values JSON has no spelling for. */
import { expect, test } from "bun:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { escapeLabelValue, Exposition } from "../../../src/monitor/prom_text.ts";

test("label values escape backslash, quote and line feed, and nothing else", () => {
  expect(escapeLabelValue('a\\b"c\nd\te')).toBe('a\\\\b\\"c\\nd\te');
});

test("a family's samples stay together under one HELP and TYPE, in first-seen order", () => {
  const e = new Exposition();
  e.add("b_total", "counter", "B", { k: "1" }, 1);
  e.add("a", "gauge", "A line\nwith \\", {}, 2);
  e.add("b_total", "counter", "ignored", { k: "2" }, 3);
  expect(e.toString()).toBe(
    ["# HELP b_total B", "# TYPE b_total counter", 'b_total{k="1"} 1', 'b_total{k="2"} 3', "# HELP a A line\\nwith \\\\", "# TYPE a gauge", "a 2", ""].join("\n"),
  );
});

test("NaN, infinities and large integers in the spellings Prometheus parses", () => {
  const e = new Exposition();
  e.add("v", "gauge", "v", { x: "nan" }, NaN);
  e.add("v", "gauge", "v", { x: "inf" }, Infinity);
  e.add("v", "gauge", "v", { x: "big" }, 2 ** 60);
  const [f] = parsePrometheusTextFormat(e.toString());
  expect(f!.metrics.map((m) => [m.labels!.x, m.value])).toEqual([["nan", "NaN"], ["inf", "+Inf"], ["big", "1152921504606847000"]]);
});

test("names that are not Prometheus names are refused, not written", () => {
  const e = new Exposition();
  expect(() => e.add("bad-name", "gauge", "", {}, 1)).toThrow("invalid metric name");
  expect(() => e.add("ok", "gauge", "", { "bad-label": "x" }, 1)).toThrow("invalid label name");
});
