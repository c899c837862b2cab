// The live dashboard at /dashboard on the monitoring port.
//
// 1. The page itself: no external URL anywhere (it must work offline, no CDN), and its
//    inline script parses.
// 2. In a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
//    tsnats-server runs with a monitoring port, nats.js clients publish and subscribe
//    continuously, and the page must show them: counters become non-zero and keep moving,
//    the charts gain points, the connection list names the clients with per-connection
//    rates, hostile client names stay text, the sort control reaches connz, routes say
//    "not clustered", and the page shows "disconnected" while the server is down and goes
//    live again when it comes back on the same ports. Under http_base_path the page reads
//    the endpoints next to it.
// 3. The Routes section with real routes: tsnats does not cluster yet, so the page is served
//    from a small proxy in front of a two-node cluster of Debian's nats-server (skipped
//    when nats-server is not installed).
//
// A missing chromium is a failure, not a skip.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import vm from "node:vm";
import { connect } from "@nats-io/transport-node";
import { chromium } from "playwright-core";
import { DASHBOARD_HTML } from "../dist/server/monitor/dashboard.js";
import { freePort, natsServerBin, startServer } from "./helpers/servers.js";
import { waitUntil } from "./helpers/wait.js";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

function requireChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the dashboard test needs a real browser (apt-get install chromium, or set CHROMIUM_PATH)`,
    );
  }
}

/** "1.5k/s" -> 1500, "12 KiB/s" -> 12288, "–" -> NaN. */
function parseShown(text) {
  const m = /^(-?[\d.,]+)\s*([kMGT]|KiB|MiB|GiB|TiB)?/.exec(String(text).trim());
  if (!m) return NaN;
  const mult = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };
  return Number(m[1].replace(/,/g, "")) * (m[2] ? mult[m[2]] : 1);
}

describe("dashboard page source", () => {
  it("references no external URL (no CDN, works offline)", () => {
    const html = DASHBOARD_HTML;
    assert.ok(html.length > 1000 && /^<!doctype html>/i.test(html), "DASHBOARD_HTML is an HTML document");
    // src/href/action pointing at another origin, absolute or protocol-relative
    const attr = /\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?\/\//gi;
    assert.deepEqual(html.match(attr), null);
    assert.deepEqual(html.match(/url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?\/\//gi), null, "CSS url() to another origin");
    assert.doesNotMatch(html, /@import/i);
    assert.doesNotMatch(html, /<script[^>]+src=/i, "no external script");
    assert.doesNotMatch(html, /<link[^>]+rel=["']?stylesheet/i, "no external stylesheet");
    // stronger: no absolute URL at all, so fetch() can only reach the page's own origin
    assert.doesNotMatch(html, /https?:\/\//i);
    assert.doesNotMatch(html, /\bimport\s*\(/, "no dynamic import");
  });

  it("has one inline script that parses and a node for every value the script fills in", () => {
    const scripts = [...DASHBOARD_HTML.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 1);
    assert.doesNotThrow(() => new vm.Script(scripts[0], { filename: "dashboard-inline.js" }));
    for (const id of scripts[0].matchAll(/\$\('([\w-]+)'\)/g)) {
      assert.match(DASHBOARD_HTML, new RegExp(`id="${id[1]}"`), `element #${id[1]} exists`);
    }
    // client-supplied strings are written as text: the script never assigns HTML
    assert.doesNotMatch(scripts[0], /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});

describe("dashboard in headless Chromium [tsnats]", () => {
  const XSS_NAME = `<img src=x onerror="window.__xss=1">evil</b>`;
  let browser;
  let srv;
  let clientPort;
  let monPort;
  let tmp;
  const clients = [];
  const timers = [];
  const pageErrors = [];
  let page;
  let dashURL;

  async function serve() {
    srv = await startServer(
      "tsnats",
      ["-a", "127.0.0.1", "-p", String(clientPort), "-m", String(monPort), "-n", "dash-test"],
      {
        noDefaults: true,
      },
    );
    assert.match(srv.output(), new RegExp(`Starting http monitor on 127\\.0\\.0\\.1:${monPort}`));
  }

  async function client(name) {
    const nc = await connect({
      servers: `127.0.0.1:${clientPort}`,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
    clients.push(nc);
    return nc;
  }

  const text = (sel) => page.textContent(sel).then((t) => (t ?? "").trim());
  async function waitText(sel, pred, what, timeoutMs = 10000) {
    let last = "";
    const end = Date.now() + timeoutMs;
    for (;;) {
      last = await text(sel);
      if (pred(last)) return last;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; ${sel} shows ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const rowNames = () => page.$$eval("#conn-rows tr td.name", (tds) => tds.map((td) => td.textContent));
  /** The connection list as objects keyed by the header texts. */
  const rows = () =>
    page.$$eval("#conn-table", ([table]) => {
      const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
      return [...table.querySelectorAll("tbody tr")].map((tr) =>
        Object.fromEntries([...tr.children].map((td, i) => [heads[i], td.textContent.trim()])),
      );
    });
  const points = (id) => page.$eval(`#${id} svg`, (svg) => Number(svg.getAttribute("data-points") ?? 0));

  before(async () => {
    requireChromium();
    tmp = mkdtempSync(path.join(tmpdir(), "tsnats-dashboard-"));
    clientPort = await freePort();
    monPort = await freePort();
    await serve();
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    page = await browser.newPage({ viewport: { width: 1366, height: 1000 } });
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    page.on("console", (m) => {
      // failed fetches while the server is down are expected; anything else is a bug in the page
      if (m.type() === "error" && !/Failed to load resource/.test(m.text())) pageErrors.push(m.text());
    });
    dashURL = `http://127.0.0.1:${monPort}/dashboard`;

    const pub = await client("dash-pub");
    const sub1 = await client("dash-sub-1");
    const sub2 = await client("dash-sub-2");
    await client(XSS_NAME);
    sub1.subscribe("dash.>", { callback: () => {} });
    sub2.subscribe("dash.a", { callback: () => {} });
    sub2.subscribe("dash.b", { callback: () => {} });
    await sub1.flush();
    await sub2.flush();
    const payload = new Uint8Array(200);
    let n = 0;
    timers.push(
      setInterval(() => {
        if (pub.isClosed()) return;
        for (let i = 0; i < 20; i++) pub.publish(n++ % 3 === 0 ? "dash.a" : "dash.b", payload);
      }, 50),
    );
  });

  after(async () => {
    for (const t of timers) clearInterval(t);
    await Promise.allSettled(clients.map((nc) => nc.close()));
    if (browser) await browser.close();
    if (srv) await srv.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("is linked from the monitoring index and served as HTML", async () => {
    const idx = await fetch(`http://127.0.0.1:${monPort}/`);
    assert.match(await idx.text(), /href=["']?\.?\/?dashboard["'>\s]/);
    const r = await fetch(dashURL);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(await r.text(), DASHBOARD_HTML);
  });

  it("shows the server, live counters that move, and charts that gain points", async () => {
    await page.goto(dashURL);
    await waitText("#status", (t) => t === "live", "the live status");
    assert.equal(await page.getAttribute("#status", "data-state"), "connected");
    await waitText("#srv-name", (t) => t === "dash-test", "the server name");
    assert.match(await text("#srv-id"), /^N[A-Z0-9]{55}$/);
    assert.match(await text("#srv-version"), /^2\.10\./);

    await waitText("#stat-connections", (t) => Number(t) === 4, "4 connections");
    await waitText("#stat-subscriptions", (t) => Number(t) >= 3, "the 3 subscriptions");
    assert.equal(await text("#stat-slow"), "0");
    assert.ok(Number(await text("#stat-total")) >= 4);
    const inRate = await waitText("#stat-in-msgs", (t) => parseShown(t) > 0, "a non-zero msgs in/s");
    assert.ok(parseShown(inRate) < 1e6, `plausible rate ${inRate}`);
    await waitText("#stat-out-msgs", (t) => parseShown(t) > 0, "a non-zero msgs out/s");
    await waitText("#stat-in-bytes", (t) => parseShown(t) > 0, "a non-zero bytes in/s");

    // publishing goes on, so the totals and the chart keep moving
    const total1 = parseShown(await text("#stat-in-msgs-total"));
    const pts1 = await points("chart-msgs");
    await waitText("#stat-in-msgs-total", (t) => parseShown(t) > total1, "the msgs-in total to grow");
    let pts2 = pts1;
    const end = Date.now() + 10000;
    while (pts2 <= pts1 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      pts2 = await points("chart-msgs");
    }
    assert.ok(pts2 > pts1, `msgs chart gained points (${pts1} -> ${pts2})`);

    for (const id of ["chart-msgs", "chart-bytes", "chart-conns", "chart-subs"]) {
      const lines = await page.$$eval(`#${id} path.line`, (ps) =>
        ps.map((p) => ({ n: Number(p.getAttribute("data-points")), d: p.getAttribute("d") })),
      );
      assert.ok(lines.length >= 1, `${id} has a line`);
      for (const l of lines) {
        assert.ok(l.n >= 2, `${id} line has points`);
        assert.ok((l.d.match(/L/g) ?? []).length >= 1, `${id} path draws segments: ${l.d.slice(0, 60)}`);
      }
    }
    // the in-rate line rises above the chart's zero grid line
    const msgY = await page.$eval("#chart-msgs path.line.s-in", (p) =>
      p
        .getAttribute("d")
        .split(/[ML]/)
        .filter(Boolean)
        .map((xy) => Number(xy.split(" ")[1])),
    );
    const zeroY = await page.$eval("#chart-msgs svg", (svg) => {
      const lines = [...svg.querySelectorAll("line.grid")];
      return Math.max(...lines.map((l) => Number(l.getAttribute("y1"))));
    });
    assert.ok(Math.min(...msgY) < zeroY - 1, "the msgs/s line rises above zero");

    // a new connection shows up in the numbers and in the connections chart
    await client("dash-late");
    await waitText("#stat-connections", (t) => Number(t) === 5, "the 5th connection");
    const connMax = await page.$eval("#chart-conns .legend b", (b) => b.textContent);
    assert.ok(Number(connMax) >= 4, `connections legend ${connMax}`);
  });

  it("lists the connections by name with per-connection rates, never as HTML", async () => {
    const end = Date.now() + 10000;
    let list = [];
    for (;;) {
      list = await rows();
      const pub = list.find((r) => r.Name === "dash-pub");
      const s1 = list.find((r) => r.Name === "dash-sub-1");
      const late = list.some((r) => r.Name === "dash-late");
      if (pub && s1 && late && parseShown(pub["Msgs in/s"]) > 0 && parseShown(s1["Msgs out/s"]) > 0) break;
      if (Date.now() > end) throw new Error(`connection rates did not appear: ${JSON.stringify(list)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const names = await rowNames();
    for (const n of ["dash-pub", "dash-sub-1", "dash-sub-2", "dash-late", XSS_NAME]) {
      assert.ok(names.includes(n), `${n} listed in ${JSON.stringify(names)}`);
    }
    const pub = list.find((r) => r.Name === "dash-pub");
    const s2 = list.find((r) => r.Name === "dash-sub-2");
    assert.equal(pub.Subs, "0");
    assert.equal(s2.Subs, "2");
    assert.match(pub.Address, /^127\.0\.0\.1:\d+$/);
    assert.match(pub.Client, /^nats\.js /);
    assert.equal(parseShown(pub["Msgs out/s"]), 0, "the publisher receives nothing");
    assert.ok(parseShown(pub["Bytes in"]) > 0);
    assert.match(await text("#conn-count"), /^5$/);

    // the hostile name is text: no element was created from it and its handler never ran
    assert.equal(await page.$$eval("#conn-rows img", (e) => e.length), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  });

  it("sorts the connection list through connz", async () => {
    // msgs_from = messages received from the client: only dash-pub publishes.
    await page.selectOption("#conn-sort", "msgs_from");
    const end = Date.now() + 10000;
    for (;;) {
      const names = await rowNames();
      if (names[0] === "dash-pub") break;
      if (Date.now() > end) throw new Error(`sorting by msgs_from did not put the publisher first: ${names}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.selectOption("#conn-sort", "cid");
    await page.selectOption("#conn-limit", "25");
    const end2 = Date.now() + 10000;
    for (;;) {
      const cids = await page.$$eval("#conn-rows tr", (trs) => trs.map((tr) => Number(tr.dataset.cid)));
      if (cids.length === 5 && cids.every((c, i) => i === 0 || c > cids[i - 1])) break;
      if (Date.now() > end2) throw new Error(`sorting by cid: ${cids}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it("changes the chart window and shows values under the pointer", async () => {
    const firstLabel = () => page.$eval("#chart-msgs svg text.axis[text-anchor=start]", (t) => t.textContent);
    assert.equal(await firstLabel(), "-5m");
    await page.selectOption("#window", "1");
    assert.equal(await firstLabel(), "-1m");
    // the newest point is at the right end of the plot: hover just inside it
    const box = await page.$eval("#chart-msgs svg", (svg) => {
      const r = svg.getBoundingClientRect();
      return { x: r.right - 14, y: r.top + r.height / 2 };
    });
    await page.mouse.move(box.x, box.y);
    const tip = await page.waitForSelector("#chart-msgs .tip", { state: "visible", timeout: 5000 });
    assert.match(await tip.textContent(), /^\d\d:\d\d:\d\d\s+·\s+in [\d.]+k?\/s\s+·\s+out [\d.]+k?\/s$/);
    assert.equal(await page.isVisible("#chart-msgs .guide"), true);
    await page.mouse.move(1, 1);
    assert.equal(await page.isVisible("#chart-msgs .tip"), false);
    await page.selectOption("#window", "5");
  });

  it("works under http_base_path, reading the endpoints next to it", async () => {
    const conf = path.join(tmp, "base.conf");
    writeFileSync(conf, 'http_base_path: "/mon/nats"\n');
    const mp = await freePort();
    const other = await startServer("tsnats", ["-c", conf, "-m", String(mp)]);
    const p2 = await browser.newPage();
    try {
      const asked = [];
      p2.on("request", (r) => asked.push(new URL(r.url()).pathname));
      await p2.goto(`http://127.0.0.1:${mp}/mon/nats/dashboard`);
      const nc = await connect({ servers: other.url, name: "base-path-client" });
      try {
        await p2.waitForFunction(() => document.querySelector("#status").textContent === "live", null, {
          timeout: 10000,
        });
        await p2.waitForFunction(() => document.querySelector("#stat-connections").textContent === "1", null, {
          timeout: 10000,
        });
        await p2.waitForSelector("#conn-rows td.name >> text=base-path-client", { timeout: 10000 });
      } finally {
        await nc.close();
      }
      for (const ep of ["/mon/nats/varz", "/mon/nats/connz", "/mon/nats/routez"])
        assert.ok(asked.includes(ep), `${ep} in ${asked}`);
      assert.ok(!asked.some((p) => /^\/(varz|connz|routez)$/.test(p)), "nothing outside the base path");
    } finally {
      await p2.close();
      await other.stop();
    }
  });

  it("says the server is not clustered", async () => {
    await waitText("#route-empty", (t) => /not clustered/i.test(t), "the not-clustered note");
    assert.equal(await page.isVisible("#route-empty"), true);
    assert.equal(await page.isVisible("#route-table"), false);
  });

  it("renders a screenshot", async () => {
    const file = path.join(tmp, "dashboard.png");
    await page.screenshot({ path: file, fullPage: true });
    const png = readFileSync(file);
    assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG");
    assert.ok(png.length > 20000, `screenshot has content (${png.length} bytes)`);
  });

  it("shows 'disconnected' while the server is down and goes live again when it returns", async () => {
    const oldId = await text("#srv-id");
    await srv.stop();
    await waitText("#status", (t) => t === "disconnected", "the disconnected status");
    assert.equal(await page.getAttribute("#status", "data-state"), "disconnected");
    assert.equal(await page.evaluate(() => document.body.classList.contains("offline")), true);
    await serve();
    await waitText("#status", (t) => t === "live", "the live status after the restart", 15000);
    await waitText("#srv-id", (t) => t !== oldId && /^N/.test(t), "the new server's id");
    await waitText("#stat-connections", (t) => Number(t) === 5, "the clients reconnected", 15000);
    // the failed polls left a gap: the line is split into more than one run
    const runs = await page.$eval("#chart-conns path.line", (p) => (p.getAttribute("d").match(/M/g) ?? []).length);
    assert.ok(runs >= 2, `the connections line has a gap for the outage (${runs} runs)`);
    assert.deepEqual(pageErrors, [], "no script errors in the page");
  });
});

describe("dashboard Routes section with a nats-server cluster", () => {
  const procs = [];
  const clients = [];
  let timer;
  let proxy;
  let browser;

  after(async () => {
    clearInterval(timer);
    await Promise.allSettled(clients.map((nc) => nc.close()));
    if (browser) await browser.close();
    if (proxy) await new Promise((r) => proxy.close(r));
    await Promise.allSettled(procs.map((p) => p.stop()));
  });

  it("lists the route with its remote server, direction and traffic", async () => {
    requireChromium();
    const [mA, cA, cB] = [await freePort(), await freePort(), await freePort()];
    const common = ["-a", "127.0.0.1", "-p", "-1", "--cluster_name", "dash"];
    const a = await startServer(
      "nats-server",
      [...common, "-n", "dash-a", "-m", String(mA), "--cluster", `nats://127.0.0.1:${cA}`],
      {
        noDefaults: true,
      },
    );
    procs.push(a);
    const b = await startServer(
      "nats-server",
      [...common, "-n", "dash-b", "--cluster", `nats://127.0.0.1:${cB}`, "--routes", `nats://127.0.0.1:${cA}`],
      {
        noDefaults: true,
      },
    );
    procs.push(b);
    await waitUntil(() => /Route connection created/.test(a.output()), "the route between the two servers", 5000);

    // the page as tsnats serves it, the JSON from nats-server A
    proxy = http.createServer((req, res) => {
      if (req.url.split("?")[0] === "/dashboard") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(DASHBOARD_HTML);
        return;
      }
      const up = http.get({ host: "127.0.0.1", port: mA, path: req.url }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      up.on("error", () => {
        res.writeHead(502);
        res.end();
      });
    });
    await new Promise((r) => proxy.listen(0, "127.0.0.1", r));

    // traffic across the route: published on A, received on B
    const pub = await connect({ servers: a.url, name: "route-pub" });
    clients.push(pub);
    const sub = await connect({ servers: b.url, name: "route-sub" });
    clients.push(sub);
    sub.subscribe("across", { callback: () => {} });
    await sub.flush();
    timer = setInterval(() => {
      for (let i = 0; i < 10; i++) pub.publish("across", "hello");
    }, 50);

    const bId = /ID:\s+(N[A-Z0-9]{55})/.exec(b.output())?.[1];
    assert.ok(bId, "server B logged its id");

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(`http://127.0.0.1:${proxy.address().port}/dashboard`);
    const end = Date.now() + 15000;
    let route;
    for (;;) {
      route = await page.$$eval("#route-table", ([table]) => {
        const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
        return [...table.querySelectorAll("tbody tr")].map((tr) =>
          Object.fromEntries([...tr.children].map((td, i) => [heads[i], td.textContent.trim()])),
        );
      });
      if (route.length === 1 && parseShown(route[0]["Msgs out/s"]) > 0) break;
      if (Date.now() > end) throw new Error(`the route row with traffic did not appear: ${JSON.stringify(route)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(await page.isVisible("#route-table"), true);
    assert.equal(await page.isVisible("#route-empty"), false);
    assert.equal((await page.textContent("#route-count")).trim(), "1");
    const r = route[0];
    // nats-server 2.10 names the remote server; 2.9 gives its id only
    assert.ok(r.Remote === "dash-b" || r.Remote === bId, `remote ${r.Remote}`);
    assert.match(r.Address, /^127\.0\.0\.1:\d+$/);
    assert.match(r.Kind, /^inbound/, "B solicited the route, so it is inbound on A");
    assert.ok(Number(r.Subs) >= 1, `B's subscription crossed the route (${r.Subs})`);
    assert.ok(parseShown(r["Bytes out"]) > 0);
  });
});
