// /metrics: Prometheus text exposition format, parsed by a Prometheus text-format parser
// (parse-prometheus-text-format), with the figures checked against /varz and against a
// known amount of traffic. tsnats only: nats-server needs a separate exporter for this.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { startServer } from "./helpers/servers.js";
import { rawConnect } from "./helpers/raw.js";
import { get, monitorPort } from "./fixtures/monitor/scenario.js";

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Parse an exposition; also checks what a scraper relies on beyond what the parser checks. */
function parseExposition(text) {
  const families = parsePrometheusTextFormat(text);
  const sampleLines = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  const parsedSamples = families.reduce((n, f) => n + f.metrics.length, 0);
  assert.equal(parsedSamples, sampleLines.length, "every sample line was parsed");
  assert.ok(text.endsWith("\n"), "ends with a line feed");
  const seen = new Set();
  for (const f of families) {
    assert.match(f.name, NAME_RE, `metric name ${f.name}`);
    assert.ok(!seen.has(f.name), `family ${f.name} appears once`);
    seen.add(f.name);
    assert.ok(f.help && f.help.length > 0, `${f.name} has HELP`);
    assert.ok(["GAUGE", "COUNTER"].includes(f.type), `${f.name} has TYPE (${f.type})`);
    for (const m of f.metrics) assert.ok(Number.isFinite(Number(m.value)), `${f.name} value ${m.value}`);
  }
  return new Map(families.map((f) => [f.name, f]));
}

function value(fams, name) {
  const f = fams.get(name);
  assert.ok(f, `metric ${name} is present`);
  assert.equal(f.metrics.length, 1, `${name} has one sample`);
  return Number(f.metrics[0].value);
}

describe("/metrics", () => {
  let srv;
  let mport;
  const conns = [];
  before(async () => {
    srv = await startServer("tsnats", ["-m", "-1"]);
    mport = monitorPort(srv);
  });
  after(async () => {
    for (const c of conns) c.close();
    await srv.stop();
  });

  it("is served as Prometheus text format 0.0.4 and parses", async () => {
    const r = await get(mport, "/metrics");
    assert.equal(r.status, 200);
    assert.equal(r.type, "text/plain; version=0.0.4; charset=utf-8");
    const fams = parseExposition(r.text);
    for (const name of [
      "gnatsd_varz_connections",
      "gnatsd_varz_total_connections",
      "gnatsd_varz_subscriptions",
      "gnatsd_varz_in_msgs",
      "gnatsd_varz_out_msgs",
      "gnatsd_varz_in_bytes",
      "gnatsd_varz_out_bytes",
      "gnatsd_varz_slow_consumers",
      "gnatsd_varz_mem",
      "gnatsd_varz_cpu",
      "gnatsd_routez_num_routes",
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
    ]) {
      assert.ok(fams.has(name), `${name} is exposed`);
    }
    assert.equal(fams.get("process_cpu_seconds_total").type, "COUNTER");
    assert.ok(value(fams, "process_cpu_seconds_total") > 0);
    assert.ok(value(fams, "process_resident_memory_bytes") > 1024 * 1024);
    // no routes yet: the count is 0 and there are no per-route samples
    assert.equal(value(fams, "gnatsd_routez_num_routes"), 0);
    assert.ok(![...fams.keys()].some((n) => n.startsWith("gnatsd_routez_route_")));
  });

  it("labels server figures with server_id and exposes every numeric /varz field", async () => {
    const v = (await get(mport, "/varz")).json;
    const fams = parseExposition((await get(mport, "/metrics")).text);
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== "number") continue;
      const f = fams.get(`gnatsd_varz_${k}`);
      assert.ok(f, `gnatsd_varz_${k} for /varz ${k}`);
      assert.deepEqual(f.metrics[0].labels, { server_id: v.server_id });
    }
    assert.deepEqual(fams.get("gnatsd_varz_version").metrics[0].labels, { server_id: v.server_id, value: v.version });
    assert.equal(value(fams, "gnatsd_varz_max_payload"), v.max_payload);
    assert.equal(value(fams, "gnatsd_varz_port"), srv.port);
  });

  it("counts connections, subscriptions, messages and bytes", async () => {
    const before0 = parseExposition((await get(mport, "/metrics")).text);
    const { c: sub } = await rawConnect(srv.port);
    conns.push(sub);
    sub.write("SUB m.* 1\r\nSUB m.x 2\r\n");
    await sub.flush();
    const { c: pub } = await rawConnect(srv.port);
    conns.push(pub);
    for (let i = 0; i < 5; i++) pub.write("PUB m.x 4\r\nabcd\r\n");
    pub.write("PUB m.y 6\r\nabcdef\r\n");
    await pub.flush();
    await sub.waitFor((t) => (t.match(/MSG m\./g) ?? []).length === 11);
    const fams = parseExposition((await get(mport, "/metrics")).text);
    const d = (n) => value(fams, n) - value(before0, n);
    assert.equal(d("gnatsd_varz_connections"), 2);
    assert.equal(d("gnatsd_varz_total_connections"), 2);
    assert.equal(d("gnatsd_varz_subscriptions"), 2);
    assert.equal(d("gnatsd_varz_in_msgs"), 6);
    assert.equal(d("gnatsd_varz_in_bytes"), 26);
    assert.equal(d("gnatsd_varz_out_msgs"), 11);
    assert.equal(d("gnatsd_varz_out_bytes"), 46);
    assert.equal(d("gnatsd_subsz_num_subscriptions"), 2);
    assert.equal(d("gnatsd_connz_num_connections"), 2);
    // and /metrics agrees with /varz taken at the same moment
    const v = (await get(mport, "/varz")).json;
    assert.equal(value(fams, "gnatsd_varz_in_msgs"), v.in_msgs);
    assert.equal(value(fams, "gnatsd_varz_out_bytes"), v.out_bytes);
    pub.close();
    sub.close();
  });

  it("escapes label values as the text format requires", async () => {
    // a server name with a quote and a backslash (allowed in nats-server names) round-trips
    const s2 = await startServer("tsnats", ["-m", "-1", "-n", 'we"ird\\name']);
    try {
      const fams = parseExposition((await get(monitorPort(s2), "/metrics")).text);
      assert.equal(fams.get("gnatsd_varz_server_name").metrics[0].labels.value, 'we"ird\\name');
    } finally {
      await s2.stop();
    }
  });
});
