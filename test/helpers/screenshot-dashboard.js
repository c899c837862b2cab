// Regenerates docs/dashboard.png: starts tsnats-server with a monitoring port, runs a
// small varying load from a few named nats.js clients for a while, opens /dashboard in
// headless Chromium with the one-minute window and takes a full-page screenshot.
//
//   npm run build && node test/helpers/screenshot-dashboard.js [out.png] [seconds]
//
// Defaults: docs/dashboard.png, 70 seconds (so the one-minute charts are full). Needs
// /usr/bin/chromium (or CHROMIUM_PATH). Not part of the test suite.
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import { chromium } from "playwright-core";
import { ROOT, freePort, startServer } from "./servers.js";

const out = path.resolve(process.argv[2] ?? path.join(ROOT, "docs", "dashboard.png"));
const seconds = Number(process.argv[3] ?? 70);
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const monPort = await freePort();
const srv = await startServer("tsnats", ["-m", String(monPort), "-n", "tsnats-demo"]);
const clients = [];
const timers = [];
let browser;
try {
  const client = async (name) => {
    const nc = await connect({ servers: srv.url, name });
    clients.push(nc);
    return nc;
  };
  const orders = await client("orders-api");
  const billing1 = await client("billing-worker-1");
  const billing2 = await client("billing-worker-2");
  const audit = await client("audit-log");
  billing1.subscribe("orders.created", { queue: "billing", callback: () => {} });
  billing2.subscribe("orders.created", { queue: "billing", callback: () => {} });
  audit.subscribe("orders.>", { callback: () => {} });
  audit.subscribe("payments.>", { callback: () => {} });
  billing1.subscribe("billing.ctl", { callback: () => {} });
  billing2.subscribe("billing.ctl", { callback: () => {} });

  // a smooth wave of order traffic plus payments from the billing workers
  let tick = 0;
  const small = new Uint8Array(180);
  const large = new Uint8Array(1200);
  timers.push(
    setInterval(() => {
      tick++;
      const n = Math.round(30 + 22 * Math.sin(tick / 25) + 8 * Math.sin(tick / 7));
      for (let i = 0; i < n; i++) orders.publish(i % 4 === 0 ? "orders.updated" : "orders.created", small);
      for (let i = 0; i < n / 3; i++) (i % 2 ? billing1 : billing2).publish("payments.settled", large);
    }, 100),
  );

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await page.goto(`http://127.0.0.1:${monPort}/dashboard?window=1`);

  // more clients come and go while the charts fill
  const extra = [];
  for (let s = 0; s < seconds; s++) {
    if (s === Math.round(seconds * 0.3)) extra.push(await client("inventory-sync"));
    if (s === Math.round(seconds * 0.45)) {
      const m = await client("metrics-exporter");
      extra.push(m);
      for (let i = 0; i < 12; i++) m.subscribe(`metrics.node${i}.>`, { callback: () => {} });
    }
    if (s === Math.round(seconds * 0.6)) extra.push(await client("web-frontend"));
    if (s === Math.round(seconds * 0.75)) await extra.shift().close();
    await sleep(1000);
  }
  await page.selectOption("#conn-sort", "msgs_to");
  await sleep(2500);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  for (const t of timers) clearInterval(t);
  await Promise.allSettled(clients.map((nc) => nc.close()));
  if (browser) await browser.close();
  await srv.stop();
}
