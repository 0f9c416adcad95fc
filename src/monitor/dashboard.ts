/**
 * GET /dashboard: one self-contained page (inline CSS and script, nothing from the network) that polls the
 * JSON endpoints under the same base path and draws the last minutes of traffic as inline SVG. Every value
 * from the server is set as text, never as markup: client, stream and log text can hold anything.
 * GET /dashboard/status: what the page needs beyond nats-server's endpoints (the store cipher by name,
 * never the key, and the recent warnings).
 */
import type { MonitorHost } from "./host.ts";

export function dashboardStatus(srv: MonitorHost): object {
  return { cipher: srv.jetstream()?.cipher ?? null, warnings: [...srv.log.recent] };
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1d232a; --muted: #66707a; --bg: #f5f6f8; --card: #fff; --line: #dde1e6; --in: #1f77b4; --out: #e6550d; --bad: #c0392b; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ed; --muted: #9aa4ae; --bg: #14181c; --card: #1e242a; --line: #2f373f; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 12px 16px; display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; border-bottom: 1px solid var(--line); background: var(--card); }
header h1 { font-size: 18px; margin: 0; }
header > * { min-width: 0; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
main { padding: 12px; display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(min(290px, 100%), 1fr)); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px; min-width: 0; }
section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 8px; }
.wide { grid-column: 1 / -1; }
.kv { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.big { font-size: 28px; font-weight: 600; font-variant-numeric: tabular-nums; }
svg { width: 100%; height: 70px; display: block; }
svg polyline { fill: none; stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.in { stroke: var(--in); color: var(--in); } .out { stroke: var(--out); color: var(--out); }
.legend { display: flex; gap: 12px; font-size: 12px; font-variant-numeric: tabular-nums; }
.table { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
td.n, th.n { text-align: right; }
.bad { color: var(--bad); font-weight: 600; }
#warnings { margin: 0; padding: 0; list-style: none; font: 12px/1.4 ui-monospace, monospace; max-height: 220px; overflow-y: auto; }
#warnings li { padding: 2px 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
#error { display: none; padding: 8px 16px; background: var(--bad); color: #fff; }
`;

/**
 * The page's script, kept free of `${` so it sits in a template literal as written, and inside a function:
 * its names (`history`) would otherwise meet the window's.
 */
const SCRIPT = String.raw`
(function () {
"use strict";
var POINTS = 150;
var history = { t: [], conns: [], inMsgs: [], outMsgs: [], inBytes: [], outBytes: [] };
var last = null;

function $(id) { return document.getElementById(id); }
function text(id, v) { var el = $(id); if (el.textContent !== String(v)) el.textContent = String(v); }
function num(n) { return Math.round(n).toLocaleString("en-US"); }
function bytes(n) {
  var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(Math.round(n)) : n.toFixed(1)) + " " + u[i];
}
function push(arr, v) { arr.push(v); if (arr.length > POINTS) arr.shift(); }
function get(path) {
  return fetch(BASE + path, { cache: "no-store" }).then(function (r) {
    if (!r.ok) throw new Error(path + ": HTTP " + r.status);
    return r.json();
  });
}
function cell(tr, v, numeric, cls) {
  var td = document.createElement("td");
  td.textContent = v;
  if (numeric) td.className = "n";
  if (cls) td.className += " " + cls;
  tr.appendChild(td);
  return td;
}
function fillTable(id, rows, empty) {
  var body = $(id);
  body.textContent = "";
  if (rows.length === 0) {
    var tr = document.createElement("tr");
    var td = cell(tr, empty, false);
    td.colSpan = body.parentNode.querySelectorAll("th").length;
    td.className = "muted";
    body.appendChild(tr);
    return;
  }
  rows.forEach(function (r) { body.appendChild(r); });
}

function chart(id, series) {
  var svg = $(id);
  var max = 0;
  series.forEach(function (s) { s.forEach(function (v) { if (v > max) max = v; }); });
  var lines = svg.querySelectorAll("polyline");
  series.forEach(function (s, k) {
    var pts = s.map(function (v, i) {
      var x = POINTS <= 1 ? 0 : (i + POINTS - s.length) * (300 / (POINTS - 1));
      var y = 68 - (max > 0 ? (v / max) * 64 : 0);
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    lines[k].setAttribute("points", pts.join(" "));
  });
}

function renderVarz(v) {
  text("name", v.server_name);
  text("id", v.server_id === v.server_name ? "" : v.server_id);
  text("version", "nats-server " + v.version + " API, " + v.go);
  text("uptime", v.uptime);
  text("connections", v.connections);
  text("total_connections", num(v.total_connections));
  text("subscriptions", num(v.subscriptions));
  text("slow_consumers", num(v.slow_consumers));
  $("slow_consumers").className = v.slow_consumers > 0 ? "bad" : "";
  text("mem", bytes(v.mem));
  text("cpu", v.cpu + " %");
  text("in_msgs", num(v.in_msgs));
  text("out_msgs", num(v.out_msgs));
  var now = Date.parse(v.now);
  if (last !== null && now > last.t) {
    var dt = (now - last.t) / 1000;
    push(history.inMsgs, (v.in_msgs - last.in_msgs) / dt);
    push(history.outMsgs, (v.out_msgs - last.out_msgs) / dt);
    push(history.inBytes, (v.in_bytes - last.in_bytes) / dt);
    push(history.outBytes, (v.out_bytes - last.out_bytes) / dt);
  }
  push(history.conns, v.connections);
  last = { t: now, in_msgs: v.in_msgs, out_msgs: v.out_msgs, in_bytes: v.in_bytes, out_bytes: v.out_bytes };
  var at = function (a) { return a.length ? a[a.length - 1] : 0; };
  text("rate_msgs_in", num(at(history.inMsgs)) + " msg/s in");
  text("rate_msgs_out", num(at(history.outMsgs)) + " msg/s out");
  text("rate_bytes_in", bytes(at(history.inBytes)) + "/s in");
  text("rate_bytes_out", bytes(at(history.outBytes)) + "/s out");
  chart("chart_conns", [history.conns]);
  chart("chart_msgs", [history.inMsgs, history.outMsgs]);
  chart("chart_bytes", [history.inBytes, history.outBytes]);
}

function renderJsz(j, status) {
  $("js").hidden = !!j.disabled;
  $("streams_card").hidden = !!j.disabled;
  if (j.disabled) return;
  text("js_streams", num(j.streams));
  text("js_consumers", num(j.consumers));
  text("js_messages", num(j.messages));
  text("js_store", bytes(j.storage + j.memory));
  text("js_store_dir", j.config.store_dir || "");
  text("js_cipher", status.cipher || "none (not encrypted)");
  text("js_api", num(j.api.total) + " / " + num(j.api.errors) + " errors");
  var rows = [];
  var streams = (j.account_details || []).flatMap(function (a) { return a.stream_detail || []; });
  streams.forEach(function (s) {
    var tr = document.createElement("tr");
    tr.dataset.stream = s.name;
    cell(tr, s.name, false);
    cell(tr, num(s.state.messages), true, "msgs");
    cell(tr, bytes(s.state.bytes), true);
    cell(tr, String(s.state.first_seq) + "–" + String(s.state.last_seq), true);
    cell(tr, "", false);
    cell(tr, "", true);
    cell(tr, "", true);
    rows.push(tr);
    (s.consumer_detail || []).forEach(function (c) {
      var ctr = document.createElement("tr");
      ctr.dataset.consumer = s.name + "/" + c.name;
      cell(ctr, "", false);
      cell(ctr, "", true);
      cell(ctr, "", true);
      cell(ctr, "", true);
      cell(ctr, c.name, false);
      cell(ctr, num(c.num_pending), true, "pending");
      cell(ctr, num(c.num_ack_pending), true, "ack_pending");
      rows.push(ctr);
    });
  });
  fillTable("streams", rows, "no streams");
}

function renderLinks(leafz, routez) {
  var rows = [];
  (leafz.leafs || []).forEach(function (l) {
    var tr = document.createElement("tr");
    cell(tr, "leaf", false);
    cell(tr, l.name || "", false);
    cell(tr, (l.ip || "") + ":" + (l.port || ""), false);
    cell(tr, l.account || "", false);
    cell(tr, l.rtt || "", true);
    cell(tr, num(l.in_msgs) + " / " + num(l.out_msgs), true);
    rows.push(tr);
  });
  (routez.routes || []).forEach(function (r) {
    var tr = document.createElement("tr");
    cell(tr, "route", false);
    cell(tr, r.remote_name || r.remote_id || "", false);
    cell(tr, (r.ip || "") + ":" + (r.port || ""), false);
    cell(tr, "", false);
    cell(tr, r.rtt || "", true);
    cell(tr, num(r.in_msgs) + " / " + num(r.out_msgs), true);
    rows.push(tr);
  });
  fillTable("links", rows, "no leaf node or route connections");
}

function renderSlow(connz) {
  var rows = [];
  (connz.connections || []).forEach(function (c) {
    if (!c.pending_bytes) return;
    var tr = document.createElement("tr");
    cell(tr, String(c.cid), true);
    cell(tr, c.name || "", false);
    cell(tr, c.ip + ":" + c.port, false);
    cell(tr, bytes(c.pending_bytes), true, "bad");
    rows.push(tr);
  });
  fillTable("pending", rows, "no connection has pending bytes");
}

function renderWarnings(status) {
  var ul = $("warnings");
  ul.textContent = "";
  var w = status.warnings.slice().reverse();
  if (w.length === 0) {
    var li = document.createElement("li");
    li.className = "muted";
    li.textContent = "none since start";
    ul.appendChild(li);
  }
  w.forEach(function (line) {
    var li = document.createElement("li");
    li.textContent = line;
    ul.appendChild(li);
  });
}

function poll() {
  Promise.all([
    get("/varz"),
    get("/jsz?consumers=true"),
    get("/leafz"),
    get("/routez"),
    get("/connz?sort=pending&limit=10"),
    get("/dashboard/status"),
  ]).then(function (r) {
    renderVarz(r[0]);
    renderJsz(r[1], r[5]);
    renderLinks(r[2], r[3]);
    renderSlow(r[4]);
    renderWarnings(r[5]);
    text("updated", "updated " + new Date().toLocaleTimeString());
    $("error").style.display = "none";
  }).catch(function (e) {
    $("error").textContent = "cannot reach the server: " + e.message;
    $("error").style.display = "block";
  }).finally(function () { setTimeout(poll, REFRESH); });
}
poll();
})();
`;

const CHART_LINES = (n: number) => Array.from({ length: n }, (_, i) => `<polyline class="${i === 0 ? "in" : "out"}" points=""/>`).join("");

function chartSvg(id: string, lines: number): string {
  return `<svg id="${id}" viewBox="0 0 300 70" preserveAspectRatio="none" role="img" aria-label="${id}">${CHART_LINES(lines)}</svg>`;
}

/** A JSON value safe inside a script element. */
function scriptValue(v: unknown): string {
  return JSON.stringify(v).replace(/</g, "\\u003c");
}

/** `refresh` (ms, at least 250; 2000 by default) sets how often the page polls. */
export function dashboardPage(base: string, refresh: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>natsedge dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1 id="name">natsedge</h1>
  <span class="muted" id="id"></span>
  <span class="muted" id="version"></span>
  <span class="muted">up <span id="uptime">–</span></span>
  <span class="muted" id="updated"></span>
</header>
<div id="error" role="alert"></div>
<main>
  <section>
    <h2>Connections</h2>
    <div class="big" id="connections">–</div>
    ${chartSvg("chart_conns", 1)}
    <dl class="kv">
      <dt>total since start</dt><dd id="total_connections">–</dd>
      <dt>subscriptions</dt><dd id="subscriptions">–</dd>
      <dt>slow consumers</dt><dd><span id="slow_consumers">–</span></dd>
    </dl>
  </section>
  <section>
    <h2>Messages</h2>
    <div class="legend"><span class="in" id="rate_msgs_in"></span><span class="out" id="rate_msgs_out"></span></div>
    ${chartSvg("chart_msgs", 2)}
    <dl class="kv"><dt>in</dt><dd id="in_msgs">–</dd><dt>out</dt><dd id="out_msgs">–</dd></dl>
  </section>
  <section>
    <h2>Bytes</h2>
    <div class="legend"><span class="in" id="rate_bytes_in"></span><span class="out" id="rate_bytes_out"></span></div>
    ${chartSvg("chart_bytes", 2)}
    <dl class="kv"><dt>memory (RSS)</dt><dd id="mem">–</dd><dt>CPU</dt><dd id="cpu">–</dd></dl>
  </section>
  <section id="js" hidden>
    <h2>JetStream</h2>
    <dl class="kv">
      <dt>streams</dt><dd id="js_streams">–</dd>
      <dt>consumers</dt><dd id="js_consumers">–</dd>
      <dt>messages</dt><dd id="js_messages">–</dd>
      <dt>store size</dt><dd id="js_store">–</dd>
      <dt>store directory</dt><dd id="js_store_dir">–</dd>
      <dt>encryption</dt><dd id="js_cipher">–</dd>
      <dt>API calls</dt><dd id="js_api">–</dd>
    </dl>
  </section>
  <section class="wide" id="streams_card" hidden>
    <h2>Streams and consumers</h2>
    <div class="table"><table>
      <thead><tr><th>stream</th><th class="n">messages</th><th class="n">bytes</th><th class="n">sequences</th><th>consumer</th><th class="n">pending</th><th class="n">ack pending</th></tr></thead>
      <tbody id="streams"></tbody>
    </table></div>
  </section>
  <section class="wide">
    <h2>Leaf node and route links</h2>
    <div class="table"><table>
      <thead><tr><th>kind</th><th>name</th><th>address</th><th>account</th><th class="n">rtt</th><th class="n">msgs in / out</th></tr></thead>
      <tbody id="links"></tbody>
    </table></div>
  </section>
  <section>
    <h2>Pending output (slowest connections)</h2>
    <div class="table"><table>
      <thead><tr><th class="n">cid</th><th>name</th><th>address</th><th class="n">pending</th></tr></thead>
      <tbody id="pending"></tbody>
    </table></div>
  </section>
  <section>
    <h2>Recent warnings</h2>
    <ul id="warnings"></ul>
  </section>
</main>
<script>
var BASE = ${scriptValue(base)};
var REFRESH = ${scriptValue(refresh)};
${SCRIPT}
</script>
</body>
</html>
`;
}
