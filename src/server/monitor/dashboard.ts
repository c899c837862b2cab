// The live monitoring dashboard served at /dashboard by the HTTP monitor.
//
// One self-contained page: HTML, CSS and a small script, no libraries, no CDN, no build
// step. The script polls the same-origin JSON endpoints (varz every second, connz every
// two seconds, routez every five), keeps fifteen minutes of samples and draws its own SVG
// charts over a window of 1, 5 (default) or 15 minutes. Rates are computed from successive samples, using the
// servers' own "now" timestamps. Everything that comes from the server (client names in
// particular) is written with textContent, never parsed as HTML.
//
// The page holds no absolute URL at all: endpoints are resolved relative to the page's
// own path, so it also works behind http_base_path.
//
// Kept free of backticks and dollar-brace sequences so it can live in one raw template
// literal; test/dashboard.test.js checks that the script parses.

export const DASHBOARD_HTML: string = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>NATS dashboard</title>
<link rel="icon" href="data:,">
<style>
:root {
  --bg: #f4f6f9; --panel: #ffffff; --text: #1d2733; --muted: #6b7785; --line: #e3e8ee;
  --grid: #edf0f4; --accent: #2a7ab8; --in: #2a7ab8; --out: #e0803a; --conns: #3a9a6a;
  --subs: #8a5cc2; --warn: #c8402e; --ok: #2f9a5a; --shadow: 0 1px 2px rgba(20, 30, 40, .06);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12161c; --panel: #1b2129; --text: #e3e8ee; --muted: #8c98a6; --line: #2b333d;
    --grid: #242b34; --accent: #5aa7e0; --in: #5aa7e0; --out: #f0a060; --conns: #5cc08a;
    --subs: #b08ae6; --warn: #ef6a55; --ok: #5cc08a; --shadow: none;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header {
  display: flex; flex-wrap: wrap; align-items: center; gap: 10px 24px;
  padding: 14px 24px; background: var(--panel); border-bottom: 1px solid var(--line);
}
.brand { font-size: 18px; font-weight: 650; letter-spacing: .2px; }
.brand span { color: var(--muted); font-weight: 450; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 20px; color: var(--muted); flex: 1; min-width: 0; }
.meta b { color: var(--text); font-weight: 600; }
.meta code { color: var(--text); overflow-wrap: anywhere; }
.window { color: var(--muted); font-size: 13px; }
.status {
  display: inline-flex; align-items: center; gap: 8px; padding: 4px 12px; border-radius: 999px;
  font-weight: 600; font-size: 13px; background: var(--grid); color: var(--muted); white-space: nowrap;
}
.status::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--muted); }
.status[data-state="connected"] { color: var(--ok); }
.status[data-state="connected"]::before { background: var(--ok); }
.status[data-state="disconnected"] { color: var(--warn); }
.status[data-state="disconnected"]::before { background: var(--warn); }
main { padding: 20px 24px 8px; max-width: 1600px; margin: 0 auto; }
.cards { display: grid; grid-template-columns: repeat(2, 1fr); gap: 12px; }
@media (min-width: 640px) { .cards { grid-template-columns: repeat(4, 1fr); } }
@media (min-width: 1280px) { .cards { grid-template-columns: repeat(8, 1fr); } }
.card {
  background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
  box-shadow: var(--shadow);
}
.card .label { color: var(--muted); font-size: 12.5px; font-weight: 550; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.card .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; margin-top: 2px; white-space: nowrap; }
.card .sub { color: var(--muted); font-size: 12px; }
.card.warn .value { color: var(--warn); }
body.offline .card .value, body.offline .charts, body.offline table { opacity: .55; }
.charts { display: grid; grid-template-columns: 1fr; gap: 12px; margin-top: 12px; }
@media (min-width: 900px) { .charts { grid-template-columns: 1fr 1fr; } }
figure.chart {
  position: relative; margin: 0; background: var(--panel); border: 1px solid var(--line);
  border-radius: 8px; padding: 10px 12px 6px; box-shadow: var(--shadow);
}
figure.chart figcaption { display: flex; justify-content: space-between; align-items: baseline; gap: 12px; font-weight: 600; }
.legend { display: flex; gap: 14px; font-weight: 450; color: var(--muted); font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 3px; border-radius: 2px; margin-right: 5px; vertical-align: middle; }
.legend b { color: var(--text); font-weight: 600; font-variant-numeric: tabular-nums; }
figure.chart svg { display: block; width: 100%; height: 170px; margin-top: 6px; overflow: visible; }
svg .grid { stroke: var(--grid); stroke-width: 1; }
svg .axis { fill: var(--muted); font-size: 11px; font-variant-numeric: tabular-nums; }
svg .line { fill: none; stroke-width: 1.8; stroke-linejoin: round; stroke-linecap: round; }
svg .area { stroke: none; opacity: .12; }
.s-in { stroke: var(--in); fill: var(--in); background: var(--in); }
.s-out { stroke: var(--out); fill: var(--out); background: var(--out); }
.s-conns { stroke: var(--conns); fill: var(--conns); background: var(--conns); }
.s-subs { stroke: var(--subs); fill: var(--subs); background: var(--subs); }
svg .line.s-in, svg .line.s-out, svg .line.s-conns, svg .line.s-subs { fill: none; }
.guide { position: absolute; top: 0; width: 1px; background: var(--muted); opacity: .5; pointer-events: none; display: none; }
.tip {
  position: absolute; pointer-events: none; display: none; background: var(--panel); border: 1px solid var(--line);
  border-radius: 6px; padding: 5px 8px; font-size: 12px; box-shadow: 0 2px 8px rgba(0, 0, 0, .12); white-space: nowrap;
  font-variant-numeric: tabular-nums; z-index: 2;
}
section.panel {
  margin-top: 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
  box-shadow: var(--shadow); overflow: hidden;
}
.panel-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 10px 14px; border-bottom: 1px solid var(--line); }
.panel-head h2 { margin: 0; font-size: 15px; }
.panel-head .count { color: var(--muted); }
.panel-head .controls { margin-left: auto; display: flex; gap: 12px; color: var(--muted); font-size: 13px; }
select { font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--line); border-radius: 5px; padding: 2px 4px; }
.table-wrap { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; text-align: right; white-space: nowrap; border-bottom: 1px solid var(--line); }
th { font-size: 12px; font-weight: 600; color: var(--muted); background: var(--bg); position: sticky; top: 0; }
th.l, td.l { text-align: left; }
tbody tr:last-child td { border-bottom: 0; }
tbody tr:hover td { background: var(--bg); }
td.name { max-width: 260px; overflow: hidden; text-overflow: ellipsis; font-weight: 550; }
.muted { color: var(--muted); }
.empty, .error { padding: 14px; color: var(--muted); margin: 0; }
.error { color: var(--warn); }
footer { color: var(--muted); font-size: 12px; padding: 10px 24px 20px; max-width: 1600px; margin: 0 auto; }
footer a { margin-left: 8px; }
@media (max-width: 800px) {
  header { padding: 12px 14px; }
  .meta { order: 3; flex-basis: 100%; }
  main { padding: 14px 12px 8px; }
}
</style>
</head>
<body>
<header>
  <div class="brand"><a href="./" title="Monitoring index">NATS</a> <span>dashboard</span></div>
  <div class="meta">
    <span>Server <b id="srv-name">&#8211;</b></span>
    <span>ID <code id="srv-id">&#8211;</code></span>
    <span>Version <b id="srv-version">&#8211;</b></span>
    <span>Uptime <b id="srv-uptime">&#8211;</b></span>
    <span>CPU <b id="srv-cpu">&#8211;</b></span>
    <span>Memory <b id="srv-mem">&#8211;</b></span>
  </div>
  <label class="window">Window <select id="window">
    <option value="1">1 min</option><option value="5" selected>5 min</option><option value="15">15 min</option>
  </select></label>
  <div id="status" class="status" data-state="connecting" role="status" aria-live="polite">connecting</div>
</header>
<main>
  <noscript><p class="error">The dashboard needs JavaScript; the JSON endpoints are linked at the bottom of the page.</p></noscript>
  <section class="cards" aria-label="Current values">
    <div class="card"><div class="label">Connections</div><div class="value" id="stat-connections">&#8211;</div><div class="sub">clients now</div></div>
    <div class="card"><div class="label">Subscriptions</div><div class="value" id="stat-subscriptions">&#8211;</div><div class="sub">in the sublist</div></div>
    <div class="card" id="card-slow"><div class="label">Slow consumers</div><div class="value" id="stat-slow">&#8211;</div><div class="sub">since start</div></div>
    <div class="card"><div class="label">Total connections</div><div class="value" id="stat-total">&#8211;</div><div class="sub">since start</div></div>
    <div class="card"><div class="label">Msgs in / s</div><div class="value" id="stat-in-msgs">&#8211;</div><div class="sub" id="stat-in-msgs-total">&#8211;</div></div>
    <div class="card"><div class="label">Msgs out / s</div><div class="value" id="stat-out-msgs">&#8211;</div><div class="sub" id="stat-out-msgs-total">&#8211;</div></div>
    <div class="card"><div class="label">Bytes in / s</div><div class="value" id="stat-in-bytes">&#8211;</div><div class="sub" id="stat-in-bytes-total">&#8211;</div></div>
    <div class="card"><div class="label">Bytes out / s</div><div class="value" id="stat-out-bytes">&#8211;</div><div class="sub" id="stat-out-bytes-total">&#8211;</div></div>
  </section>
  <section class="charts" aria-label="Charts over the chosen window">
    <figure class="chart" id="chart-msgs"><figcaption>Messages / s<span class="legend"></span></figcaption><svg role="img" aria-label="Messages per second, in and out"></svg></figure>
    <figure class="chart" id="chart-bytes"><figcaption>Bytes / s<span class="legend"></span></figcaption><svg role="img" aria-label="Bytes per second, in and out"></svg></figure>
    <figure class="chart" id="chart-conns"><figcaption>Connections<span class="legend"></span></figcaption><svg role="img" aria-label="Connections"></svg></figure>
    <figure class="chart" id="chart-subs"><figcaption>Subscriptions<span class="legend"></span></figcaption><svg role="img" aria-label="Subscriptions"></svg></figure>
  </section>
  <section class="panel" id="connections">
    <div class="panel-head">
      <h2>Connections</h2><span class="count" id="conn-count"></span>
      <div class="controls">
        <label>Sort <select id="conn-sort">
          <option value="cid">connection id</option>
          <option value="msgs_from">msgs in (from client)</option>
          <option value="msgs_to">msgs out (to client)</option>
          <option value="bytes_from">bytes in (from client)</option>
          <option value="bytes_to">bytes out (to client)</option>
          <option value="subs">subscriptions</option>
          <option value="pending">pending bytes</option>
          <option value="uptime">uptime</option>
          <option value="idle">idle time</option>
          <option value="rtt">round-trip time</option>
        </select></label>
        <label>Show <select id="conn-limit">
          <option>25</option><option selected>100</option><option>500</option>
        </select></label>
      </div>
    </div>
    <div class="table-wrap">
      <table id="conn-table">
        <thead><tr>
          <th title="Connection id">CID</th><th class="l">Name</th><th class="l">Address</th><th class="l">Client</th>
          <th>Subs</th><th title="Bytes waiting to be written to the client">Pending</th>
          <th title="Messages published by the client">Msgs in/s</th><th title="Messages delivered to the client">Msgs out/s</th>
          <th>Bytes in/s</th><th>Bytes out/s</th><th>Bytes in</th><th>Bytes out</th><th>Uptime</th>
        </tr></thead>
        <tbody id="conn-rows"></tbody>
      </table>
    </div>
    <p class="empty" id="conn-empty" hidden>No client connections.</p>
    <p class="error" id="conn-error" hidden></p>
  </section>
  <section class="panel" id="routes">
    <div class="panel-head"><h2>Routes</h2><span class="count" id="route-count"></span></div>
    <p class="empty" id="route-empty">Not clustered.</p>
    <div class="table-wrap" id="route-wrap" hidden>
      <table id="route-table">
        <thead><tr>
          <th>RID</th><th class="l">Remote</th><th class="l">Address</th><th class="l">Kind</th><th>Subs</th><th>Pending</th>
          <th>Msgs in/s</th><th>Msgs out/s</th><th>Bytes in</th><th>Bytes out</th><th>Uptime</th>
        </tr></thead>
        <tbody id="route-rows"></tbody>
      </table>
    </div>
  </section>
</main>
<footer>
  Charts cover the chosen window; varz is polled every second, connz every 2 s, routez every 5 s. <span id="updated"></span>
  <span>JSON:</span><a href="varz">varz</a><a href="connz">connz</a><a href="routez">routez</a><a href="subsz">subsz</a><a href="healthz">healthz</a>
</footer>
<script>
(function () {
  'use strict';
  var KEEP_MS = 15 * 60 * 1000; // the longest window offered
  var WINDOW_MS = 5 * 60 * 1000;
  var VARZ_EVERY = 1000, CONNZ_EVERY = 2000, ROUTEZ_EVERY = 5000, FETCH_TIMEOUT = 3000;
  var DASH = '\u2013';

  // Endpoints live next to the page: /dashboard -> /varz, /base/dashboard -> /base/varz.
  var base = location.pathname.replace(/dashboard\/?$/, '');
  if (base.charAt(base.length - 1) !== '/') base += '/';

  function $(id) { return document.getElementById(id); }
  var SVG_NS = document.querySelector('svg').namespaceURI;

  // ---- formatting -------------------------------------------------------------------
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : 0; }
  function fmtInt(v) { return v == null ? DASH : Math.round(v).toLocaleString('en-US'); }
  function fmtSI(v, unit) {
    if (v == null || !isFinite(v)) return DASH;
    var a = Math.abs(v), p = ['', 'k', 'M', 'G', 'T'], i = 0;
    while (a >= 1000 && i < p.length - 1) { a /= 1000; v /= 1000; i++; }
    var s = a === 0 ? '0' : a < 10 ? v.toFixed(a < 1 && i === 0 ? 2 : 1) : Math.round(v).toString();
    if (s.indexOf('.') >= 0) s = s.replace(/\.?0+$/, '');
    return s + p[i] + (unit || '');
  }
  function fmtBytes(v, unit) {
    if (v == null || !isFinite(v)) return DASH;
    var p = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (Math.abs(v) >= 1024 && i < p.length - 1) { v /= 1024; i++; }
    var s = i === 0 ? Math.round(v).toString() : Math.abs(v) < 10 ? v.toFixed(1) : Math.round(v).toString();
    return s + ' ' + p[i] + (unit || '');
  }
  function fmtRate(v) { return fmtSI(v, '/s'); }
  function fmtByteRate(v) { return fmtBytes(v, '/s'); }
  function fmtCount(v) { return v == null ? DASH : fmtSI(v, ''); }
  function fmtClock(t) {
    var d = new Date(t);
    function two(n) { return (n < 10 ? '0' : '') + n; }
    return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }

  // RFC 3339 with up to nanoseconds (Go's time.Time JSON) to milliseconds since the epoch.
  function parseTime(s) {
    if (typeof s !== 'string') return NaN;
    var m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
    if (!m) return Date.parse(s);
    return Date.parse(m[1] + m[3]) + (m[2] ? Number('0.' + m[2]) * 1000 : 0);
  }
  // Per-second rate between two counter readings; null when unknown or the counter went back.
  function rate(cur, prev, dtSec) {
    if (typeof cur !== 'number' || typeof prev !== 'number' || !(dtSec > 0) || cur < prev) return null;
    return (cur - prev) / dtSec;
  }

  function setText(id, text) {
    var el = $(id);
    if (el && el.textContent !== text) el.textContent = text;
  }
  function cell(tr, text, cls, title) {
    var td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    if (title) td.title = title;
    tr.appendChild(td);
    return td;
  }

  function getJSON(path) {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, FETCH_TIMEOUT);
    return fetch(base + path, { cache: 'no-store', signal: ctl.signal, headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status + ' from /' + path.split('?')[0]);
        return r.json();
      })
      .finally(function () { clearTimeout(timer); });
  }

  // ---- connection state -------------------------------------------------------------
  var lastOk = 0;
  function setConnected(ok, err) {
    var st = $('status');
    var state = ok ? 'connected' : 'disconnected';
    if (ok) lastOk = Date.now();
    st.dataset.state = state;
    st.textContent = ok ? 'live' : 'disconnected';
    st.title = ok ? '' : 'Cannot reach the server (' + (err && err.message ? err.message : 'no answer') + '); retrying every second';
    document.body.classList.toggle('offline', !ok);
    setText('updated', lastOk ? 'Last update ' + fmtClock(lastOk) + '.' : '');
  }

  // ---- samples and charts -------------------------------------------------------------
  // One sample per varz poll: {t, conns, subs, inMsgs, outMsgs, inBytes, outBytes}; a
  // failed poll adds a sample of nulls so the lines show the gap.
  var samples = [];
  var prevVarz = null;

  var charts = [
    { id: 'chart-msgs', fmt: fmtRate, integer: false,
      series: [{ key: 'inMsgs', cls: 's-in', label: 'in' }, { key: 'outMsgs', cls: 's-out', label: 'out' }] },
    { id: 'chart-bytes', fmt: fmtByteRate, integer: false, bytes: true,
      series: [{ key: 'inBytes', cls: 's-in', label: 'in' }, { key: 'outBytes', cls: 's-out', label: 'out' }] },
    { id: 'chart-conns', fmt: fmtCount, integer: true,
      series: [{ key: 'conns', cls: 's-conns', label: 'connections' }] },
    { id: 'chart-subs', fmt: fmtCount, integer: true,
      series: [{ key: 'subs', cls: 's-subs', label: 'subscriptions' }] }
  ];

  function svgEl(name, attrs, parent) {
    var el = document.createElementNS(SVG_NS, name);
    for (var k in attrs) el.setAttribute(k, attrs[k]);
    parent.appendChild(el);
    return el;
  }
  // A round grid step (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten) such that four
  // grid rows hold max with a little headroom; whole numbers only for integer series.
  var STEPS = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
  function niceStep(max, integer) {
    var raw = max / 3.7;
    if (!(raw > 0)) return integer ? 1 : 0.25;
    var e = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / e;
    for (var i = 0; i < STEPS.length; i++) {
      var c = STEPS[i];
      if (c >= f && !(integer && e === 1 && c % 1 !== 0)) return integer && c * e < 1 ? 1 : c * e;
    }
    return 10 * e;
  }

  function initChart(c) {
    c.fig = $(c.id);
    c.svg = c.fig.querySelector('svg');
    var legend = c.fig.querySelector('.legend');
    c.series.forEach(function (s) {
      var span = document.createElement('span');
      var sw = document.createElement('i');
      sw.className = s.cls;
      span.appendChild(sw);
      span.appendChild(document.createTextNode(s.label + ' '));
      s.valueEl = document.createElement('b');
      s.valueEl.textContent = DASH;
      span.appendChild(s.valueEl);
      legend.appendChild(span);
    });
    c.guide = document.createElement('div');
    c.guide.className = 'guide';
    c.tip = document.createElement('div');
    c.tip.className = 'tip';
    c.fig.appendChild(c.guide);
    c.fig.appendChild(c.tip);
    c.hoverX = null;
    c.svg.addEventListener('mousemove', function (ev) {
      var r = c.svg.getBoundingClientRect();
      c.hoverX = ev.clientX - r.left;
      showTip(c);
    });
    c.svg.addEventListener('mouseleave', function () {
      c.hoverX = null;
      c.guide.style.display = c.tip.style.display = 'none';
    });
  }

  function renderChart(c, now) {
    var svg = c.svg;
    var W = Math.max(svg.clientWidth || 0, 200), H = Math.max(svg.clientHeight || 0, 100);
    var L = 64, R = 10, T = 8, B = 20, pw = W - L - R, ph = H - T - B;
    var t0 = now - WINDOW_MS;
    var max = 0;
    samples.forEach(function (s) {
      c.series.forEach(function (se) { var v = s[se.key]; if (v != null && v > max) max = v; });
    });
    var unit = 1;
    if (c.bytes) while (max / unit >= 1024) unit *= 1024;
    var step = niceStep(max / unit, c.integer || (c.bytes && unit === 1)) * unit, top = step * 4;
    c.layout = { L: L, T: T, pw: pw, ph: ph, t0: t0 };
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    var i;
    for (i = 0; i <= 4; i++) {
      var y = T + ph - ph * i / 4;
      svgEl('line', { 'class': 'grid', x1: L, x2: L + pw, y1: y, y2: y }, svg);
      svgEl('text', { 'class': 'axis', x: L - 8, y: y + 4, 'text-anchor': 'end' }, svg).textContent = c.fmt(step * i);
    }
    var tick = WINDOW_MS <= 60000 ? 10000 : WINDOW_MS <= 300000 ? 60000 : 180000;
    while (pw * tick / WINDOW_MS < 44 && tick < WINDOW_MS) tick *= 2;
    for (var ago = WINDOW_MS; ago >= 0; ago -= tick) {
      var x = L + pw * (WINDOW_MS - ago) / WINDOW_MS;
      svgEl('text', { 'class': 'axis', x: x, y: H - 4, 'text-anchor': ago === WINDOW_MS ? 'start' : ago === 0 ? 'end' : 'middle' }, svg)
        .textContent = ago === 0 ? 'now' : ago < 60000 ? '-' + ago / 1000 + 's' : '-' + ago / 60000 + 'm';
    }
    var total = 0;
    c.series.forEach(function (se) {
      var line = '', area = '', run = [], points = 0, last = null;
      function flush() {
        if (run.length) {
          line += 'M' + run.join('L');
          area += 'M' + run[0].split(' ')[0] + ' ' + (T + ph) + 'L' + run.join('L') + 'L' + run[run.length - 1].split(' ')[0] + ' ' + (T + ph) + 'Z';
        }
        run = [];
      }
      samples.forEach(function (s) {
        var v = s[se.key];
        if (v == null || s.t < t0) { flush(); return; }
        var x = L + pw * (s.t - t0) / WINDOW_MS, y = T + ph - ph * Math.min(v / top, 1);
        run.push(x.toFixed(1) + ' ' + y.toFixed(1));
        points++;
        last = v;
      });
      flush();
      if (area && c.series.length === 1) svgEl('path', { 'class': 'area ' + se.cls, d: area }, svg);
      var p = svgEl('path', { 'class': 'line ' + se.cls, d: line || 'M0 0', 'data-points': points }, svg);
      if (!line) p.setAttribute('visibility', 'hidden');
      total += points;
      se.valueEl.textContent = last == null ? DASH : c.fmt(last);
    });
    svg.setAttribute('data-points', total);
    if (c.hoverX != null) showTip(c);
  }

  function showTip(c) {
    var lay = c.layout;
    if (!lay || !samples.length) return;
    var t = lay.t0 + (c.hoverX - lay.L) / lay.pw * WINDOW_MS;
    var best = null, bestD = Infinity;
    samples.forEach(function (s) {
      var d = Math.abs(s.t - t);
      if (d < bestD) { bestD = d; best = s; }
    });
    if (!best || bestD > 5000 || best.t < lay.t0) { c.guide.style.display = c.tip.style.display = 'none'; return; }
    var x = lay.L + lay.pw * (best.t - lay.t0) / WINDOW_MS;
    // guide and tip are positioned in the figure's padding box
    var fr = c.fig.getBoundingClientRect(), sr = c.svg.getBoundingClientRect();
    var svgTop = sr.top - fr.top - c.fig.clientTop, svgLeft = sr.left - fr.left - c.fig.clientLeft;
    c.guide.style.display = 'block';
    c.guide.style.left = (svgLeft + x) + 'px';
    c.guide.style.top = (svgTop + lay.T) + 'px';
    c.guide.style.height = lay.ph + 'px';
    var parts = [fmtClock(best.t)];
    c.series.forEach(function (se) { parts.push(se.label + ' ' + (best[se.key] == null ? DASH : c.fmt(best[se.key]))); });
    c.tip.textContent = parts.join('  \u00b7  ');
    c.tip.style.display = 'block';
    var tw = c.tip.offsetWidth, fw = c.fig.clientWidth;
    var left = svgLeft + x + 10;
    if (left + tw > fw - 4) left = svgLeft + x - tw - 10;
    c.tip.style.left = Math.max(4, left) + 'px';
    c.tip.style.top = (svgTop + 4) + 'px';
  }

  function renderCharts() {
    var now = Date.now();
    while (samples.length && samples[0].t < now - KEEP_MS - 2000) samples.shift();
    charts.forEach(function (c) { renderChart(c, now); });
  }

  // ---- varz ---------------------------------------------------------------------------
  function onVarz(v) {
    var now = Date.now();
    var st = parseTime(v.now);
    if (!isFinite(st)) st = now;
    var s = { t: now, conns: num(v.connections), subs: num(v.subscriptions), inMsgs: null, outMsgs: null, inBytes: null, outBytes: null };
    var p = prevVarz;
    if (p && p.id === v.server_id) {
      var dt = (st - p.st) / 1000;
      s.inMsgs = rate(v.in_msgs, p.in_msgs, dt);
      s.outMsgs = rate(v.out_msgs, p.out_msgs, dt);
      s.inBytes = rate(v.in_bytes, p.in_bytes, dt);
      s.outBytes = rate(v.out_bytes, p.out_bytes, dt);
    }
    prevVarz = { id: v.server_id, st: st, in_msgs: v.in_msgs, out_msgs: v.out_msgs, in_bytes: v.in_bytes, out_bytes: v.out_bytes };
    samples.push(s);
    setConnected(true);

    var name = typeof v.server_name === 'string' && v.server_name ? v.server_name : String(v.server_id || DASH);
    setText('srv-name', name);
    $('srv-name').parentNode.hidden = name === v.server_id;
    setText('srv-id', String(v.server_id || DASH));
    setText('srv-version', String(v.version || DASH));
    setText('srv-uptime', String(v.uptime || DASH));
    setText('srv-cpu', typeof v.cpu === 'number' ? v.cpu.toFixed(v.cpu < 10 ? 1 : 0) + '%' : DASH);
    setText('srv-mem', typeof v.mem === 'number' ? fmtBytes(v.mem) : DASH);
    document.title = 'NATS dashboard \u00b7 ' + name;

    setText('stat-connections', fmtInt(num(v.connections)));
    setText('stat-subscriptions', fmtInt(num(v.subscriptions)));
    setText('stat-slow', fmtInt(num(v.slow_consumers)));
    $('card-slow').classList.toggle('warn', num(v.slow_consumers) > 0);
    setText('stat-total', fmtInt(num(v.total_connections)));
    if (s.inMsgs != null) {
      setText('stat-in-msgs', fmtRate(s.inMsgs));
      setText('stat-out-msgs', fmtRate(s.outMsgs));
      setText('stat-in-bytes', fmtByteRate(s.inBytes));
      setText('stat-out-bytes', fmtByteRate(s.outBytes));
    }
    setText('stat-in-msgs-total', fmtInt(num(v.in_msgs)) + ' total');
    setText('stat-out-msgs-total', fmtInt(num(v.out_msgs)) + ' total');
    setText('stat-in-bytes-total', fmtBytes(num(v.in_bytes)) + ' total');
    setText('stat-out-bytes-total', fmtBytes(num(v.out_bytes)) + ' total');
    lastRoutes = num(v.routes);
    if (lastRoutes === 0) showNoRoutes();
  }
  function onVarzError(err) {
    setConnected(false, err);
    samples.push({ t: Date.now(), conns: null, subs: null, inMsgs: null, outMsgs: null, inBytes: null, outBytes: null });
  }
  function pollVarz() {
    getJSON('varz')
      .then(onVarz, onVarzError)
      .catch(function (e) { if (window.console) console.error(e); })
      .then(function () {
        renderCharts();
        setTimeout(pollVarz, VARZ_EVERY);
      });
  }

  // ---- connz --------------------------------------------------------------------------
  // Previous counters per connection id, to turn totals into rates between two polls.
  var connPrev = new Map();
  var connTimer = null, connBusy = false, connAgain = false;

  function addRates(key, o, st, prevMap) {
    var p = prevMap.get(key);
    var r = { inMsgs: null, outMsgs: null, inBytes: null, outBytes: null };
    if (p && st > p.st) {
      var dt = (st - p.st) / 1000;
      r.inMsgs = rate(o.in_msgs, p.in_msgs, dt);
      r.outMsgs = rate(o.out_msgs, p.out_msgs, dt);
      r.inBytes = rate(o.in_bytes, p.in_bytes, dt);
      r.outBytes = rate(o.out_bytes, p.out_bytes, dt);
    } else if (p && st === p.st) {
      r = p.rates;
    }
    if (!p || st > p.st) prevMap.set(key, { st: st, seen: Date.now(), in_msgs: o.in_msgs, out_msgs: o.out_msgs, in_bytes: o.in_bytes, out_bytes: o.out_bytes, rates: r });
    else p.seen = Date.now();
    return r;
  }
  function prune(map) {
    var cutoff = Date.now() - 60000;
    map.forEach(function (v, k) { if (v.seen < cutoff) map.delete(k); });
  }

  function onConnz(cz) {
    var st = parseTime(cz.now);
    if (!isFinite(st)) st = Date.now();
    var list = Array.isArray(cz.connections) ? cz.connections : [];
    var tbody = $('conn-rows');
    var frag = document.createDocumentFragment();
    list.forEach(function (ci) {
      var r = addRates(String(ci.cid) + '@' + (cz.server_id || ''), ci, st, connPrev);
      var tr = document.createElement('tr');
      tr.dataset.cid = String(ci.cid);
      cell(tr, String(ci.cid));
      var nameTd = cell(tr, ci.name ? String(ci.name) : DASH, 'l name' + (ci.name ? '' : ' muted'), ci.name ? String(ci.name) : 'no name given in CONNECT');
      if (ci.account || ci.authorized_user) nameTd.title += (ci.authorized_user ? '\nuser: ' + ci.authorized_user : '') + (ci.account ? '\naccount: ' + ci.account : '');
      cell(tr, (String(ci.ip || '').indexOf(':') >= 0 ? '[' + ci.ip + ']' : String(ci.ip || '')) + ':' + ci.port, 'l mono');
      cell(tr, [ci.lang, ci.version].filter(Boolean).join(' ') || DASH, 'l muted');
      cell(tr, fmtInt(num(ci.subscriptions)));
      cell(tr, fmtBytes(num(ci.pending_bytes)));
      cell(tr, fmtRate(r.inMsgs));
      cell(tr, fmtRate(r.outMsgs));
      cell(tr, fmtByteRate(r.inBytes));
      cell(tr, fmtByteRate(r.outBytes));
      cell(tr, fmtBytes(num(ci.in_bytes)), '', fmtInt(num(ci.in_msgs)) + ' msgs');
      cell(tr, fmtBytes(num(ci.out_bytes)), '', fmtInt(num(ci.out_msgs)) + ' msgs');
      cell(tr, String(ci.uptime || DASH), '', ci.idle ? 'idle ' + ci.idle : '');
      frag.appendChild(tr);
    });
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    tbody.appendChild(frag);
    prune(connPrev);
    var total = typeof cz.total === 'number' ? cz.total : list.length;
    setText('conn-count', total === list.length ? String(total) : list.length + ' of ' + total);
    $('conn-empty').hidden = list.length > 0;
    $('conn-error').hidden = true;
  }
  function onConnzError(err) {
    var el = $('conn-error');
    el.textContent = 'Connection list unavailable: ' + (err && err.message ? err.message : 'no answer');
    el.hidden = false;
  }
  function pollConnz() {
    clearTimeout(connTimer);
    if (connBusy) { connAgain = true; return; }
    connBusy = true;
    var q = 'connz?subs=0&limit=' + encodeURIComponent($('conn-limit').value) + '&sort=' + encodeURIComponent($('conn-sort').value);
    getJSON(q)
      .then(onConnz, onConnzError)
      .catch(function (e) { if (window.console) console.error(e); })
      .then(function () {
        connBusy = false;
        if (connAgain) { connAgain = false; pollConnz(); return; }
        connTimer = setTimeout(pollConnz, CONNZ_EVERY);
      });
  }
  $('conn-sort').addEventListener('change', pollConnz);
  $('conn-limit').addEventListener('change', pollConnz);

  // ---- routez -------------------------------------------------------------------------
  var routePrev = new Map();
  var lastRoutes = null;
  function showNoRoutes() {
    $('route-empty').textContent = 'Not clustered.';
    $('route-empty').hidden = false;
    $('route-wrap').hidden = true;
    setText('route-count', '');
  }
  function onRoutez(rz) {
    var list = Array.isArray(rz.routes) ? rz.routes : [];
    if (!list.length) { showNoRoutes(); return; }
    var st = parseTime(rz.now);
    if (!isFinite(st)) st = Date.now();
    var tbody = $('route-rows');
    var frag = document.createDocumentFragment();
    list.forEach(function (ri) {
      var r = addRates(String(ri.rid) + '@' + (rz.server_id || ''), ri, st, routePrev);
      var tr = document.createElement('tr');
      cell(tr, String(ri.rid));
      cell(tr, String(ri.remote_name || ri.remote_id || DASH), 'l name', ri.remote_id ? 'server id ' + ri.remote_id : '');
      cell(tr, String(ri.ip || '') + ':' + ri.port, 'l mono');
      cell(tr, (ri.did_solicit ? 'outbound' : 'inbound') + (ri.is_configured ? ', configured' : ''), 'l muted');
      cell(tr, fmtInt(num(ri.subscriptions)));
      cell(tr, fmtBytes(num(ri.pending_size)));
      cell(tr, fmtRate(r.inMsgs));
      cell(tr, fmtRate(r.outMsgs));
      cell(tr, fmtBytes(num(ri.in_bytes)));
      cell(tr, fmtBytes(num(ri.out_bytes)));
      cell(tr, String(ri.uptime || DASH));
      frag.appendChild(tr);
    });
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    tbody.appendChild(frag);
    prune(routePrev);
    setText('route-count', String(list.length));
    $('route-empty').hidden = true;
    $('route-wrap').hidden = false;
  }
  function onRoutezError(err) {
    // Without routez, the route count in varz still tells whether the server is clustered.
    if (lastRoutes === 0) { showNoRoutes(); return; }
    $('route-empty').textContent = (lastRoutes == null ? 'Routes' : lastRoutes + (lastRoutes === 1 ? ' route' : ' routes')) +
      ': details unavailable (' + (err && err.message ? err.message : 'no answer') + ').';
    $('route-empty').hidden = false;
    $('route-wrap').hidden = true;
  }
  function pollRoutez() {
    getJSON('routez')
      .then(onRoutez, onRoutezError)
      .catch(function (e) { if (window.console) console.error(e); })
      .then(function () { setTimeout(pollRoutez, ROUTEZ_EVERY); });
  }

  var winSel = $('window');
  var wantWin = /[?&]window=(\d+)/.exec(location.search);
  if (wantWin && winSel.querySelector('option[value="' + Number(wantWin[1]) + '"]')) winSel.value = String(Number(wantWin[1]));
  function applyWindow() {
    WINDOW_MS = Number(winSel.value) * 60000;
    renderCharts();
  }
  winSel.addEventListener('change', applyWindow);
  WINDOW_MS = Number(winSel.value) * 60000;

  charts.forEach(initChart);
  window.addEventListener('resize', renderCharts);
  pollVarz();
  pollConnz();
  pollRoutez();
})();
</script>
</body>
</html>
`;
