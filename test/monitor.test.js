// HTTP monitoring (http_port / -m): every endpoint's JSON compared, field by field and type
// by type, with fixtures recorded from Debian's nats-server for the same scenario
// (test/fixtures/monitor/record.js); then /connz sorting, paging, filters and closed-
// connection reasons, counters, JSONP, headers and bad parameters. The behaviour tests
// run against tsnats and, when installed, against nats-server too (the oracle).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import net from "node:net";
import http from "node:http";
import { Server, Logger, MemorySink } from "../dist/server/index.js";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serverKinds, startServer } from "./helpers/servers.js";
import { rawConnect } from "./helpers/raw.js";
import { waitUntil } from "./helpers/wait.js";
import { ENDPOINTS_A, ENDPOINTS_B, get, monitorPort, runScenario, waitJSON } from "./fixtures/monitor/scenario.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(here, "fixtures", "monitor");

// ---------------------------------------------------------------- shape comparison

/**
 * Fields nats-server 2.10 has and 2.9.10 (the recorded oracle) lacks: allowed in tsnats'
 * answers although the fixtures do not have them. Paths: fixture name, then JSON path.
 */
const ADDED_IN_2_10 = new Set([
  "varz.slow_consumer_stats",
  "routez.server_name",
  "accstatz.account_statz[].num_subscriptions",
  "accstatz-unused.account_statz[].num_subscriptions",
  "auth-varz.slow_consumer_stats",
]);

/**
 * Fields nats-server has and tsnats leaves out, with the reason: nats-server's own service
 * imports of $SYS requests into every account (tsnats answers those requests without them).
 */
const NOT_IN_TSNATS = new Set(["accountz-global.account_detail.imports"]);

/** Fields whose JSON type changed between 2.9.10 and 2.10 (2.10 sends [] where 2.9 sent null). */
const CHANGED_IN_2_10 = new Map([["leafz.leafs", ["null", "array"]]]);

function kindOf(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/**
 * The shape of the elements of an array: for objects, each key's merged shape and how many
 * elements have it (keys some elements lack are omitempty fields).
 */
function mergeElements(arr) {
  const kinds = new Set(arr.map(kindOf));
  if (kinds.size > 1) return { mixed: [...kinds] };
  const k = [...kinds][0];
  if (k !== "object") {
    if (k === "array") return { kind: "array", elems: mergeElements(arr.flat()) };
    return { kind: k };
  }
  const keys = new Map();
  for (const el of arr) {
    for (const [key, val] of Object.entries(el)) {
      if (!keys.has(key)) keys.set(key, { values: [], count: 0 });
      const e = keys.get(key);
      e.values.push(val);
      e.count++;
    }
  }
  return { kind: "object", n: arr.length, keys };
}

/** Compare `actual` (tsnats) with `expected` (fixture); push a message per drift. */
function compareShape(expected, actual, p, drifts) {
  const ek = kindOf(expected);
  const ak = kindOf(actual);
  if (ek !== ak) {
    const changed = CHANGED_IN_2_10.get(p);
    if (changed && changed[0] === ek && changed[1] === ak) return;
    drifts.push(`${p}: nats-server has ${ek}, tsnats has ${ak}`);
    return;
  }
  if (ek === "object") {
    compareKeys(
      new Map(Object.entries(expected).map(([k, v]) => [k, { values: [v], count: 1 }])),
      1,
      new Map(Object.entries(actual).map(([k, v]) => [k, { values: [v], count: 1 }])),
      p,
      drifts,
    );
  } else if (ek === "array") {
    if (expected.length === 0 || actual.length === 0) {
      if (expected.length !== actual.length)
        drifts.push(`${p}: nats-server has ${expected.length} elements, tsnats has ${actual.length}`);
      return;
    }
    const em = mergeElements(expected);
    const am = mergeElements(actual);
    const ep = `${p}[]`;
    if (em.mixed || am.mixed || em.kind !== am.kind) {
      drifts.push(
        `${ep}: element types ${JSON.stringify(em.mixed ?? em.kind)} vs ${JSON.stringify(am.mixed ?? am.kind)}`,
      );
      return;
    }
    if (em.kind === "object") compareKeys(em.keys, em.n, am.keys, ep, drifts);
  }
}

function compareKeys(ekeys, en, akeys, p, drifts) {
  for (const [key, e] of ekeys) {
    const kp = p === "" ? key : `${p}.${key}`;
    const a = akeys.get(key);
    if (a === undefined) {
      // present in every recorded element: required; in some only: an omitempty field
      if (e.count === en && !NOT_IN_TSNATS.has(kp)) drifts.push(`${kp}: missing in tsnats`);
      continue;
    }
    // compare the values' shapes pairwise-merged: first with first is enough for scalars,
    // nested objects and arrays are compared through their merged form
    compareShape(mergeValues(e.values), mergeValues(a.values), kp, drifts);
  }
  for (const key of akeys.keys()) {
    const kp = p === "" ? key : `${p}.${key}`;
    if (!ekeys.has(key) && !ADDED_IN_2_10.has(kp)) drifts.push(`${kp}: tsnats has it, nats-server does not`);
  }
}

/** Several elements' values for one key, merged into one representative value. */
function mergeValues(values) {
  if (values.length === 1) return values[0];
  const kinds = new Set(values.map(kindOf));
  if (kinds.size !== 1) return values[0];
  const k = values[0] === null ? "null" : kindOf(values[0]);
  if (k === "array") return values.flat();
  if (k === "object") {
    const out = {};
    for (const v of values) for (const [kk, vv] of Object.entries(v)) if (!(kk in out)) out[kk] = vv;
    return out;
  }
  return values[0];
}

function loadFixtures() {
  const out = {};
  for (const f of readdirSync(FIXTURES)) {
    if (!f.endsWith(".json")) continue;
    out[f.slice(0, -5)] = JSON.parse(readFileSync(path.join(FIXTURES, f), "utf8"));
  }
  return out;
}

describe("monitoring JSON shapes match nats-server's (fixtures)", () => {
  const fixtures = loadFixtures();
  let results;
  before(async () => {
    results = await runScenario("tsnats");
  });

  it("has a fixture for every endpoint of the scenario", () => {
    for (const name of [...Object.keys(ENDPOINTS_A), ...Object.keys(ENDPOINTS_B)]) {
      assert.ok(fixtures[name], `fixture ${name}.json is missing: run node test/fixtures/monitor/record.js`);
    }
  });

  for (const name of [...Object.keys(ENDPOINTS_A), ...Object.keys(ENDPOINTS_B)]) {
    it(`${name}: ${ENDPOINTS_A[name] ?? ENDPOINTS_B[name]}`, () => {
      const fx = fixtures[name];
      const r = results[name];
      assert.equal(r.status, fx.status, "status code");
      assert.equal(r.type, fx.content_type, "Content-Type");
      const drifts = [];
      compareShape(fx.body, r.json, name, drifts);
      assert.deepEqual(drifts, [], `${name} drifts from nats-server:\n  ${drifts.join("\n  ")}`);
    });
  }

  it("agrees with nats-server on the values that do not differ by nature", () => {
    // configuration as /varz reports it
    const same = [
      "proto",
      "host",
      "max_connections",
      "ping_interval",
      "ping_max",
      "http_host",
      "http_port",
      "http_base_path",
      "https_port",
      "auth_timeout",
      "max_control_line",
      "max_payload",
      "max_pending",
      "cluster",
      "gateway",
      "leaf",
      "mqtt",
      "websocket",
      "jetstream",
      "tls_timeout",
      "write_deadline",
      "routes",
      "remotes",
      "leafnodes",
    ];
    for (const name of ["varz", "auth-varz"]) {
      for (const k of same) assert.deepEqual(results[name].json[k], fixtures[name].body[k], `${name} ${k}`);
    }
    assert.equal(results["auth-varz"].json.auth_required, true);
    // the scenario's connections: same figures, same subscriptions
    const pick = (c) => {
      const out = {};
      for (const k of [
        "kind",
        "type",
        "ip",
        "name",
        "lang",
        "version",
        "in_msgs",
        "out_msgs",
        "in_bytes",
        "out_bytes",
        "subscriptions",
        "reason",
        "authorized_user",
      ])
        out[k] = c[k];
      return out;
    };
    const conns = (r, names) =>
      Object.fromEntries(r.connections.filter((c) => names.includes(c.name)).map((c) => [c.name, pick(c)]));
    const det = (r) =>
      Object.fromEntries(
        r.connections.map((c) => [
          c.name,
          (c.subscriptions_list_detail ?? [])
            .map(({ cid: _cid, ...d }) => d)
            .sort((a, b) => a.sid.localeCompare(b.sid)),
        ]),
      );
    // (how many messages the flood took to make "slow" a slow consumer varies by nature)
    const names = ["alpha", "beta", "gamma"];
    for (const name of ["connz", "connz-auth", "connz-closed", "connz-all-detail", "auth-connz", "auth-connz-closed"]) {
      const n = name.startsWith("auth") ? ["authed", "intruder"] : names;
      assert.deepEqual(conns(results[name].json, n), conns(fixtures[name].body, n), name);
      assert.equal(results[name].json.total, fixtures[name].body.total, `${name} total`);
    }
    assert.deepEqual(det(results["connz-subs-detail"].json), det(fixtures["connz-subs-detail"].body));
    const subs = (r) => r.connections.map((c) => [c.name, (c.subscriptions_list ?? []).sort()]);
    assert.deepEqual(subs(results["connz-subs"].json), subs(fixtures["connz-subs"].body));
    // the slow consumer: closed for the same reason (pending bytes or, on a loaded machine, the write deadline)
    const slow = (r) => r.connections.find((c) => c.name === "slow").reason;
    assert.match(slow(results["connz-closed"].json), /^Slow Consumer/);
    assert.match(slow(fixtures["connz-closed"].body), /^Slow Consumer/);
    // /subsz?test=foo: the same two subscriptions (nats-server's own $SYS ones aside)
    const tl = (b) => b.subscriptions_list.map(({ cid: _c, ...d }) => d);
    assert.deepEqual(tl(results["subsz-test"].json), tl(fixtures["subsz-test"].body));
    // per-account figures of $G (message totals include the flood, which varies)
    const g = (b) => b.account_statz.find((a) => a.acc === "$G");
    assert.equal(g(results.accstatz.json).slow_consumers, g(fixtures.accstatz.body).slow_consumers);
    assert.equal(g(results.accstatz.json).conns, g(fixtures.accstatz.body).conns);
  });

  it("the shape comparison catches drift (a missing field, an extra field, a type change)", () => {
    const fx = fixtures.varz.body;
    const drifts = [];
    const bad = { ...fx, extra_field: 1, port: "4222" };
    delete bad.max_payload;
    compareShape(fx, bad, "varz", drifts);
    assert.deepEqual(drifts.sort(), [
      "varz.extra_field: tsnats has it, nats-server does not",
      "varz.max_payload: missing in tsnats",
      "varz.port: nats-server has number, tsnats has string",
    ]);
    const d2 = [];
    const conns = fixtures.connz.body;
    const bad2 = { ...conns, connections: conns.connections.map((c) => ({ ...c, rtt: 5 })) };
    compareShape(conns, bad2, "connz", d2);
    assert.deepEqual(d2, ["connz.connections[].rtt: nats-server has string, tsnats has number"]);
    const d3 = [];
    compareShape(conns, { ...conns, connections: [] }, "connz", d3);
    assert.deepEqual(d3, [`connz.connections: nats-server has ${conns.connections.length} elements, tsnats has 0`]);
  });
});

// ---------------------------------------------------------------- behaviour (tsnats and nats-server)

const tmp = mkdtempSync(path.join(tmpdir(), "tsnats-monitor-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Start a server with monitoring on a random port; `conf` is written to a config file. */
async function startMon(kind, conf = "", args = []) {
  const file = path.join(tmp, `${kind}-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, conf);
  const srv = await startServer(kind, ["-c", file, "-m", "-1", ...args]);
  return { srv, mport: monitorPort(srv) };
}

const RAW = { verbose: false, pedantic: false, lang: "raw", version: "1.0.0" };

/** The /connz entries by client name. */
function byName(connz) {
  return Object.fromEntries(connz.connections.map((c) => [c.name, c]));
}

for (const kind of serverKinds()) {
  describe(`monitoring [${kind}]`, () => {
    let srv;
    let mport;
    const conns = [];
    const connect = async (name, extra = {}) => {
      const { c } = await rawConnect(srv.port, { ...RAW, name, ...extra });
      conns.push(c);
      await c.flush();
      return c;
    };
    before(async () => {
      ({ srv, mport } = await startMon(kind, "max_pending: 1MB\n"));
    });
    after(async () => {
      for (const c of conns) c.close();
      await srv.stop();
    });

    it("server_tags appear in /varz tags, trimmed, lower-cased and once each", async () => {
      const t = await startMon(kind, 'server_tags: ["Region:EU", " az:1 ", "region:eu"]\n');
      try {
        const v = (await get(t.mport, "/varz")).json;
        assert.deepEqual(v.tags, ["region:eu", "az:1"]);
        assert.equal(typeof v.config_load_time, "string");
      } finally {
        await t.srv.stop();
      }
      // without tags the field is left out
      assert.equal((await get(mport, "/varz")).json.tags, undefined);
    });

    it("counts messages and bytes in and out, per server and per connection", async () => {
      const base = (await get(mport, "/varz")).json;
      const sub1 = await connect("count-sub1");
      const sub2 = await connect("count-sub2");
      sub1.write("SUB cnt 1\r\n");
      sub2.write("SUB cnt 1\r\nSUB cnt 2\r\n");
      await sub1.flush();
      await sub2.flush();
      const pub = await connect("count-pub");
      for (let i = 0; i < 10; i++) pub.write("PUB cnt 7\r\n1234567\r\n");
      await pub.flush();
      await sub1.waitFor((t) => (t.match(/MSG cnt/g) ?? []).length === 10);
      await sub2.waitFor((t) => (t.match(/MSG cnt/g) ?? []).length === 20);
      const v = (await get(mport, "/varz")).json;
      assert.equal(v.in_msgs - base.in_msgs, 10);
      assert.equal(v.in_bytes - base.in_bytes, 70);
      assert.equal(v.out_msgs - base.out_msgs, 30);
      assert.equal(v.out_bytes - base.out_bytes, 210);
      assert.equal(v.connections - base.connections, 3);
      assert.equal(v.total_connections - base.total_connections, 3);
      assert.equal(v.subscriptions - base.subscriptions, 3);
      const c = byName((await get(mport, "/connz")).json);
      assert.deepEqual(
        [c["count-pub"].in_msgs, c["count-pub"].in_bytes, c["count-pub"].out_msgs, c["count-pub"].out_bytes],
        [10, 70, 0, 0],
      );
      assert.deepEqual(
        [c["count-sub1"].out_msgs, c["count-sub1"].out_bytes, c["count-sub1"].subscriptions],
        [10, 70, 1],
      );
      assert.deepEqual(
        [c["count-sub2"].out_msgs, c["count-sub2"].out_bytes, c["count-sub2"].subscriptions],
        [20, 140, 2],
      );
      assert.equal(c["count-pub"].lang, "raw");
      assert.equal(c["count-pub"].version, "1.0.0");
      assert.equal(c["count-pub"].ip, "127.0.0.1");
      assert.equal(c["count-pub"].port, pub.sock.localPort);
      for (const x of [sub1, sub2, pub]) x.close();
    });

    it("/connz sorts, pages and filters by cid as nats-server does", async () => {
      // four clients with distinct subscription, message and byte counts
      const names = ["s-a", "s-b", "s-c", "s-d"];
      const subs = { "s-a": 1, "s-b": 3, "s-c": 0, "s-d": 2 };
      const pubs = { "s-a": 2, "s-b": 0, "s-c": 5, "s-d": 1 };
      for (const n of names) {
        const c = await connect(n);
        for (let i = 0; i < subs[n]; i++) c.write(`SUB sort.${n}.${i} ${i + 1}\r\n`);
        for (let i = 0; i < pubs[n]; i++) c.write("PUB nobody 3\r\nabc\r\n");
        await c.flush();
      }
      const q = (extra) => get(mport, `/connz?${extra}`);
      const order = (j) => j.connections.filter((c) => names.includes(c.name)).map((c) => c.name);
      assert.deepEqual(order((await q("sort=subs")).json), ["s-b", "s-d", "s-a", "s-c"]);
      assert.deepEqual(order((await q("sort=msgs_from")).json), ["s-c", "s-a", "s-d", "s-b"]);
      assert.deepEqual(order((await q("sort=bytes_from")).json), ["s-c", "s-a", "s-d", "s-b"]);
      const byCid = (await q("sort=cid")).json;
      const cids = byCid.connections.map((c) => c.cid);
      assert.deepEqual(
        cids,
        [...cids].sort((a, b) => a - b),
        "sort=cid is ascending",
      );
      assert.deepEqual(order(byCid), names);
      assert.deepEqual(order((await q("sort=start")).json), names);
      // every documented option is accepted on open connections (sort=rtt is new in 2.10)
      const more = ["pending", "msgs_to", "bytes_to", "last", "idle", "uptime"];
      if (kind === "tsnats") more.push("rtt");
      for (const s of more) {
        const r = await q(`sort=${s}`);
        assert.equal(r.status, 200, `sort=${s}: ${r.text}`);
        assert.equal(r.json.connections.length, byCid.connections.length);
      }
      // paging over the cid order
      const total = byCid.total;
      const page = (await q("sort=cid&offset=1&limit=2")).json;
      assert.equal(page.offset, 1);
      assert.equal(page.limit, 2);
      assert.equal(page.total, total);
      assert.equal(page.num_connections, 2);
      assert.deepEqual(
        page.connections.map((c) => c.cid),
        cids.slice(1, 3),
      );
      const beyond = (await q(`offset=${total + 5}`)).json;
      assert.equal(beyond.num_connections, 0);
      assert.deepEqual(beyond.connections, []);
      // defaults: offset 0, limit 1024; a limit <= 0 means the default
      assert.equal((await q("limit=0")).json.limit, 1024);
      assert.equal((await q("offset=-3")).json.offset, 0);
      // one connection by cid
      const one = (await q(`cid=${cids[2]}`)).json;
      assert.equal(one.num_connections, 1);
      assert.equal(one.limit, 1);
      assert.equal(one.connections[0].cid, cids[2]);
      assert.deepEqual((await q("cid=999999")).json.connections, []);
      // subscriptions lists
      const withSubs = byName((await q("subs=1")).json);
      assert.deepEqual(withSubs["s-b"].subscriptions_list.sort(), ["sort.s-b.0", "sort.s-b.1", "sort.s-b.2"]);
      assert.equal(withSubs["s-c"].subscriptions_list, undefined, "no list for a connection without subscriptions");
      const detail = byName((await q("subs=detail")).json);
      const d = detail["s-d"].subscriptions_list_detail.sort((a, b) => a.sid.localeCompare(b.sid));
      assert.deepEqual(d, [
        { subject: "sort.s-d.0", sid: "1", msgs: 0, cid: detail["s-d"].cid },
        { subject: "sort.s-d.1", sid: "2", msgs: 0, cid: detail["s-d"].cid },
      ]);
    });

    it("pages through many connections without gaps or repeats", async () => {
      const many = [];
      try {
        for (let i = 0; i < 250; i++) {
          const { c } = await rawConnect(srv.port, { ...RAW, name: `many-${i}` });
          many.push(c);
        }
        await Promise.all(many.map((c) => c.flush()));
        const first = (await get(mport, "/connz?limit=1")).json;
        assert.ok(first.total >= 250);
        const seen = [];
        for (let off = 0; off < first.total; off += 100) {
          const page = (await get(mport, `/connz?sort=cid&offset=${off}&limit=100`)).json;
          assert.equal(page.total, first.total);
          assert.equal(page.num_connections, Math.min(100, first.total - off));
          seen.push(...page.connections.map((c) => c.cid));
        }
        assert.equal(new Set(seen).size, first.total, "no repeats");
        assert.deepEqual(
          seen,
          [...seen].sort((a, b) => a - b),
          "ascending across pages",
        );
        const names = new Set((await get(mport, "/connz?limit=100000")).json.connections.map((c) => c.name));
        for (let i = 0; i < 250; i++) assert.ok(names.has(`many-${i}`));
      } finally {
        for (const c of many) c.close();
      }
    });

    it("rejects bad /connz parameters with nats-server's 400 texts", async () => {
      const cases = [
        ["/connz?sort=foo", "invalid sorting option: foo"],
        ["/connz?sort=stop", "sort by stop only valid on closed connections"],
        ["/connz?sort=reason&state=all", "sort by reason only valid on closed connections"],
        ["/connz?state=bogus", "Error decoding state for bogus"],
        ["/connz?auth=maybe", `Error decoding boolean for 'auth': strconv.ParseBool: parsing "maybe": invalid syntax`],
        ["/connz?subs=2", `Error decoding boolean for 'subs': strconv.ParseBool: parsing "2": invalid syntax`],
        ["/connz?offset=x", `Error decoding int for 'offset': strconv.Atoi: parsing "x": invalid syntax`],
        ["/connz?limit=1.5", `Error decoding int for 'limit': strconv.Atoi: parsing "1.5": invalid syntax`],
        ["/connz?cid=-1", `Error decoding uint64 for 'cid': strconv.ParseUint: parsing "-1": invalid syntax`],
        ["/subsz?subs=yes", `Error decoding boolean for 'subs': strconv.ParseBool: parsing "yes": invalid syntax`],
        ["/subsz?subs=1&test=foo.*", "invalid test subject, must be valid publish subject: foo.*"],
        [
          "/connz?limit=99999999999999999999",
          `Error decoding int for 'limit': strconv.Atoi: parsing "99999999999999999999": value out of range`,
        ],
        ["/routez?subs=x", `Error decoding boolean for 'subs': strconv.ParseBool: parsing "x": invalid syntax`],
        ["/jsz?accounts=x", `Error decoding boolean for 'accounts': strconv.ParseBool: parsing "x": invalid syntax`],
        ["/accountz?acc=nope", "Account nope does not exist"],
      ];
      for (const [p, text] of cases) {
        const r = await get(mport, p);
        assert.equal(r.status, 400, `${p} -> ${r.status} ${r.text}`);
        assert.equal(r.text, text, p);
        assert.match(r.type, /^text\/plain/, p);
      }
      for (const p of ["/nope", "/varz/", "/connz/x"]) {
        const nf = await get(mport, p);
        assert.equal(nf.status, 404, p);
        assert.equal(nf.text, "404 page not found\n");
      }
      // paths as Go's ServeMux treats them: escapes decoded, unclean paths redirected
      const asIs = (p) =>
        new Promise((resolve, reject) => {
          http
            .get({ host: "127.0.0.1", port: mport, path: p, agent: false }, (res) => {
              res.resume();
              res.on("end", () => resolve({ status: res.statusCode, location: res.headers.location }));
            })
            .on("error", reject);
        });
      assert.deepEqual(await asIs("/x/../varz?a=1"), { status: 301, location: "/varz?a=1" });
      assert.deepEqual(await asIs("//connz"), { status: 301, location: "/connz" });
      assert.equal((await asIs("/%76arz")).status, 200);
      // decoded bytes that may not stand in a header (CR, LF, NUL, non-ASCII) are escaped in
      // the redirect, as Go writes it; before, they threw and took an embedding process down
      assert.deepEqual(await asIs("/a/..%2f%0d%0a"), { status: 301, location: "/%0D%0A" });
      assert.deepEqual(await asIs("//%E2%82%AC"), { status: 301, location: "/%E2%82%AC" });
      assert.deepEqual(await asIs("/a/../%00"), { status: 301, location: "/%00" });
      assert.deepEqual(await asIs("/a%20b/../c%23d"), { status: 301, location: "/c%23d" });
      assert.equal((await get(mport, "/healthz")).status, 200, "still serving");
      // an unknown account: nats-server's empty, id-less answer
      const acc = (await get(mport, "/connz?acc=nope")).json;
      assert.deepEqual(
        { ...acc, now: undefined },
        {
          server_id: "",
          now: undefined,
          num_connections: 0,
          total: 0,
          offset: 0,
          limit: 1024,
          connections: null,
        },
      );
      // case-insensitive values, as nats-server reads them
      assert.equal((await get(mport, "/connz?state=ANY")).status, 200);
      assert.equal((await get(mport, "/connz?subs=DETAIL")).status, 200);
    });

    it("answers JSONP when asked with ?callback= and plain JSON with CORS otherwise", async () => {
      const j = await get(mport, "/varz");
      assert.equal(j.type, "application/json");
      // nats-server 2.10 allows any origin on JSON answers (2.9.10 did not yet)
      if (kind === "tsnats") assert.equal(j.headers.get("access-control-allow-origin"), "*");
      const r = await get(mport, "/varz?callback=myFn");
      assert.equal(r.status, 200);
      assert.equal(r.type, "application/javascript");
      assert.equal(r.headers.get("access-control-allow-origin"), null);
      const m = /^myFn\(([\s\S]*)\)$/.exec(r.text);
      assert.ok(m, `JSONP body: ${r.text.slice(0, 80)}`);
      assert.equal(JSON.parse(m[1]).server_id, j.json.server_id);
      const h = await get(mport, "/healthz?callback=cb");
      assert.equal(h.text, 'cb({"status":"ok"})');
    });

    it("/subsz lists subscriptions, filters with test= and pages", async () => {
      const c = await connect("subsz-client");
      c.write("SUB zz.a 1\r\nSUB zz.* 2\r\nSUB zz.> q 3\r\nSUB other 4\r\n");
      await c.flush();
      const all = (await get(mport, "/subsz?subs=1&limit=100000")).json;
      const cid = byName((await get(mport, "/connz")).json)["subsz-client"].cid;
      const mine = all.subscriptions_list.filter((s) => s.cid === cid);
      assert.equal(mine.length, 4);
      const q = mine.find((s) => s.sid === "3");
      assert.deepEqual(q, { account: "$G", subject: "zz.>", qgroup: "q", sid: "3", msgs: 0, cid: q.cid });
      const t = (await get(mport, "/subsz?subs=1&test=zz.a")).json;
      assert.deepEqual(t.subscriptions_list.map((s) => s.subject).sort(), ["zz.*", "zz.>", "zz.a"]);
      assert.equal(t.total, 3);
      const p = (await get(mport, "/subsz?subs=1&test=zz.a&offset=1&limit=1")).json;
      assert.equal(p.subscriptions_list.length, 1);
      assert.equal(p.offset, 1);
      assert.equal(p.limit, 1);
      // no subscription matches: only the statistics, as nats-server answers
      const none = (await get(mport, "/subsz?subs=1&test=nothing.here")).json;
      assert.equal(none.subscriptions_list, undefined);
      assert.equal(typeof none.num_subscriptions, "number");
      assert.ok(all.num_subscriptions >= 4);
      c.close();
    });

    it("counts requests per endpoint in varz http_req_stats", async () => {
      const before = (await get(mport, "/varz")).json.http_req_stats;
      await get(mport, "/connz");
      await get(mport, "/connz");
      await get(mport, "/subsz");
      const after = (await get(mport, "/varz")).json.http_req_stats;
      assert.equal(after["/connz"], (before["/connz"] ?? 0) + 2);
      assert.equal(after["/subsz"], (before["/subsz"] ?? 0) + 1);
      assert.equal(after["/varz"], before["/varz"] + 1);
    });

    it("/healthz, /routez, /gatewayz, /leafz and /jsz answer for a server without those features", async () => {
      const h = await get(mport, "/healthz");
      assert.equal(h.status, 200);
      assert.equal(h.text, '{"status":"ok"}');
      assert.equal((await get(mport, "/healthz?js-enabled-only=true")).status, 200);
      if (kind === "tsnats") {
        // 2.10 checks the stream/consumer parameters even without JetStream (2.9.10 did not)
        const bad = await get(mport, "/healthz?stream=x");
        assert.equal(bad.status, 400);
        assert.equal(
          bad.text,
          '{"status":"error","error":"\\"account\\" must not be empty when checking stream health"}',
        );
        const det = await get(mport, "/healthz?consumer=y&details=1");
        assert.equal(det.status, 400);
        assert.deepEqual(det.json, {
          status: "error",
          errors: [{ type: "BAD_REQUEST", error: '"stream" must not be empty when checking consumer health' }],
        });
      }
      assert.equal((await get(mport, "/routez")).json.num_routes, 0);
      assert.deepEqual((await get(mport, "/routez")).json.routes, []);
      assert.deepEqual((await get(mport, "/gatewayz")).json.outbound_gateways, {});
      assert.equal((await get(mport, "/leafz")).json.leafnodes, 0);
      assert.equal((await get(mport, "/jsz")).json.disabled, true);
    });
  });

  describe(`/connz state=closed [${kind}]`, () => {
    it("keeps closed connections with the reason: slow consumer, auth failure, normal close", async () => {
      // a short write deadline too: on a loaded machine nats-server may catch the stuck
      // subscriber by its blocked write before its pending bytes (either is a slow consumer)
      const { srv, mport } = await startMon(
        kind,
        'max_pending: 1MB\nwrite_deadline: "2s"\nauthorization { users: [ { user: a, password: b } ] }\n',
      );
      const conns = [];
      try {
        const connect = async (name, pass = "b") => {
          const { c } = await rawConnect(srv.port, { ...RAW, name, user: "a", pass });
          conns.push(c);
          return c;
        };
        const normal = await connect("normal");
        await normal.flush();
        normal.close();
        const intruder = await connect("intruder", "wrong");
        assert.ok(await intruder.waitClosed(3000));
        const slow = await connect("slow");
        slow.write("SUB slow 1\r\n");
        await slow.flush();
        slow.sock.pause();
        await floodUntilSlow(srv.port, mport, conns);
        const closed = await waitJSON(
          mport,
          "/connz?state=closed&auth=1",
          (j) => ["normal", "intruder", "slow"].every((n) => j.connections.some((c) => c.name === n)),
          "three closed connections",
        );
        const c = byName(closed);
        assert.equal(c.normal.reason, "Client Closed");
        assert.equal(c.intruder.reason, "Authentication Failure");
        assert.match(c.slow.reason, /^Slow Consumer \((Pending Bytes|Write Deadline)\)$/);
        assert.equal(c.normal.authorized_user, "a");
        assert.equal(c.intruder.authorized_user, "a");
        for (const x of [c.normal, c.intruder, c.slow]) {
          assert.equal(typeof x.stop, "string");
          assert.ok(Date.parse(x.stop) >= Date.parse(x.start), "stop is after start");
        }
        assert.ok(c.slow.out_msgs > 0);
        // without auth=1 no user is shown
        assert.equal(byName((await get(mport, "/connz?state=closed")).json).normal.authorized_user, undefined);
        // sort=reason (ascending) and sort=stop (latest first) on closed connections
        const reasons = (await get(mport, "/connz?state=closed&sort=reason")).json.connections.map((x) => x.reason);
        assert.deepEqual(reasons, [...reasons].sort());
        const stops = (await get(mport, "/connz?state=closed&sort=stop")).json.connections.map((x) =>
          Date.parse(x.stop),
        );
        assert.deepEqual(
          stops,
          [...stops].sort((x, y) => y - x),
        );
        // open connections carry no stop or reason; state=all has both kinds
        const open = (await get(mport, "/connz")).json.connections;
        assert.ok(open.every((x) => x.stop === undefined && x.reason === undefined));
        const all = (await get(mport, "/connz?state=all")).json;
        assert.equal(all.total, open.length + closed.total);
        // a closed connection by cid, with state=closed or state=all but not open
        assert.equal((await get(mport, `/connz?state=closed&cid=${c.slow.cid}`)).json.connections[0].name, "slow");
        assert.equal((await get(mport, `/connz?state=all&cid=${c.slow.cid}`)).json.connections[0].name, "slow");
        // 2.10 looks a cid up among open connections only unless state says otherwise (2.9.10
        // still searched the closed ones)
        if (kind === "tsnats") assert.deepEqual((await get(mport, `/connz?cid=${c.slow.cid}`)).json.connections, []);
        // the user filter (total stays the count before filtering, as in nats-server)
        const byUser = (await get(mport, "/connz?state=closed&user=a")).json;
        assert.equal(byUser.connections.length, closed.connections.length);
        const nobody = (await get(mport, "/connz?state=closed&user=nobody")).json;
        assert.deepEqual(nobody.connections, []);
        assert.equal(nobody.total, closed.total);
        // varz counts the slow consumer
        assert.ok((await get(mport, "/varz")).json.slow_consumers >= 1);
        assert.equal((await get(mport, "/varz")).json.auth_required, true);
      } finally {
        for (const x of conns) x.close();
        await srv.stop();
      }

      async function floodUntilSlow(port, mp, list) {
        const { c: flood } = await rawConnect(port, { ...RAW, name: "flooder", user: "a", pass: "b" });
        list.push(flood);
        await flood.flush();
        const payload = Buffer.alloc(64 * 1024, 0x61);
        const frame = Buffer.concat([Buffer.from(`PUB slow ${payload.length}\r\n`), payload, Buffer.from("\r\n")]);
        const deadline = Date.now() + 20000;
        for (;;) {
          for (let i = 0; i < 16; i++) flood.write(frame);
          await flood.flush(15000);
          const j = (await get(mp, "/connz?state=closed")).json;
          if (j.connections.some((x) => x.name === "slow")) return;
          if (Date.now() > deadline) throw new Error("no slow consumer within 20 s");
        }
      }
    });
  });
}

// ---------------------------------------------------------------- listener, config, pages

for (const kind of serverKinds()) {
  describe(`monitoring listener [${kind}]`, () => {
    it("serves under http_base_path, on the http host:port of the config file", async () => {
      const { srv, mport } = await startMon(kind, 'http: "127.0.0.1:-1"\nhttp_base_path: "nats/"\n');
      try {
        assert.match(srv.output(), /Starting http monitor on 127\.0\.0\.1:\d+/);
        const v = await get(mport, "/nats/varz");
        assert.equal(v.status, 200);
        assert.equal(v.json.http_base_path, "nats/");
        assert.equal(v.json.http_host, "127.0.0.1");
        assert.equal(v.json.http_port, -1, "the configured port, as nats-server reports it");
        assert.equal((await get(mport, "/nats/connz")).status, 200);
        assert.equal((await get(mport, "/varz")).status, 404);
        const root = await get(mport, "/nats");
        assert.equal(root.status, 200);
        assert.match(root.text, /href=\.\/nats\/varz/);
      } finally {
        await srv.stop();
      }
    });

    it("writes the monitoring URL to the ports file", async () => {
      const dir = path.join(tmp, `ports-${kind}`);
      mkdirSync(dir);
      const srv = await startServer(kind, ["-m", "-1", "--ports_file_dir", dir]);
      try {
        // nats-server writes it just after logging "Server is ready"
        // (created, then written: wait until it holds the whole JSON)
        const complete = () => {
          const f = readdirSync(dir).filter((n) => n.endsWith(".ports"));
          return f.length > 0 && readFileSync(path.join(dir, f[0]), "utf8").trimEnd().endsWith("}");
        };
        await waitUntil(complete, "the ports file");
        const files = readdirSync(dir).filter((f) => f.endsWith(".ports"));
        assert.equal(files.length, 1);
        const ports = JSON.parse(readFileSync(path.join(dir, files[0]), "utf8"));
        assert.deepEqual(ports.monitoring, [`http://127.0.0.1:${monitorPort(srv)}`]);
        assert.deepEqual(ports.nats, [`nats://127.0.0.1:${srv.port}`]);
      } finally {
        await srv.stop();
      }
    });

    it("fails to start when the monitoring port is taken, with nats-server's message", async () => {
      const blocker = net.createServer();
      await new Promise((r) => blocker.listen(0, "127.0.0.1", r));
      const busy = blocker.address().port;
      try {
        await assert.rejects(startServer(kind, ["-m", String(busy)]), (e) => {
          assert.match(
            e.message,
            new RegExp(
              `Can't start monitoring: can't listen to the monitor port: listen tcp 127\\.0\\.0\\.1:${busy}: bind: address already in use`,
            ),
          );
          assert.match(e.message, /exited \(1\)/);
          return true;
        });
      } finally {
        blocker.close();
      }
    });
  });
}

describe("monitoring pages and lifecycle [tsnats]", () => {
  it("the index page links every endpoint and the dashboard, and each link answers", async () => {
    const srv = await startServer("tsnats", ["-m", "-1"]);
    try {
      const mport = monitorPort(srv);
      const r = await get(mport, "/");
      assert.equal(r.status, 200);
      assert.match(r.type, /^text\/html/);
      const links = [...r.text.matchAll(/href=\.(\/[a-z]+)/g)].map((m) => m[1]);
      for (const p of [
        "/varz",
        "/connz",
        "/routez",
        "/gatewayz",
        "/leafz",
        "/subsz",
        "/accountz",
        "/accstatz",
        "/jsz",
        "/healthz",
        "/metrics",
        "/dashboard",
      ]) {
        assert.ok(links.includes(p), `index links ${p}`);
      }
      for (const p of links) assert.equal((await get(mport, p)).status, 200, p);
      const d = await get(mport, "/dashboard");
      assert.match(d.type, /^text\/html/);
      assert.match(d.text, /<html/i);
      // nats-server's old name for /subsz
      assert.equal(typeof (await get(mport, "/subscriptionsz")).json.num_subscriptions, "number");
    } finally {
      await srv.stop();
    }
  });

  it("starts with the server, sets monitorAddress, and shutdown closes it even with keep-alive clients", async () => {
    const sink = new MemorySink();
    const s = new Server({ host: "127.0.0.1", port: -1, http_port: -1 }, { logger: new Logger(sink, { time: false }) });
    await s.start();
    const agent = new http.Agent({ keepAlive: true });
    try {
      assert.ok(s.monitorAddress, "monitorAddress is set");
      const { port } = s.monitorAddress;
      assert.ok(sink.lines.some((l) => l.includes(`Starting http monitor on 127.0.0.1:${port}`)));
      assert.ok(!sink.lines.some((l) => /not served yet/.test(l)));
      const body = await new Promise((resolve, reject) => {
        http
          .get({ host: "127.0.0.1", port, path: "/varz", agent }, (res) => {
            let t = "";
            res.on("data", (d) => (t += d));
            res.on("end", () => resolve(t));
          })
          .on("error", reject);
      });
      assert.equal(JSON.parse(body).http_port, -1);
      // the keep-alive socket stays open in the agent; shutdown must not wait for it
      await s.shutdown();
      await assert.rejects(
        new Promise((resolve, reject) => {
          const c = net.connect(port, "127.0.0.1", () => {
            c.destroy();
            resolve();
          });
          c.on("error", reject);
        }),
        /ECONNREFUSED/,
      );
    } finally {
      agent.destroy();
      await s.shutdown();
    }
  });

  it("is off unless asked for", async () => {
    const s = new Server({ host: "127.0.0.1", port: -1 }, { logger: new Logger(new MemorySink(), { time: false }) });
    await s.start();
    try {
      assert.equal(s.monitorAddress, null);
      assert.equal(s.monitor, null);
    } finally {
      await s.shutdown();
    }
  });
});
