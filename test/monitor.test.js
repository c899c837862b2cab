// HTTP monitoring (http_port / -m): every endpoint's JSON compared, field by field and type
// by type, with fixtures recorded from Debian's nats-server for the same scenario
// (test/fixtures/monitor/record.js); then /connz sorting, paging, filters and closed-
// connection reasons, counters, JSONP, headers and bad parameters. The behaviour tests
// run against tsnats and, when installed, against nats-server too (the oracle).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import { serverKinds, startServer } from "./helpers/servers.js";
import { rawConnect } from "./helpers/raw.js";
import { ENDPOINTS_A, ENDPOINTS_B, get, makeSlowConsumer, monitorPort, runScenario, waitJSON } from "./fixtures/monitor/scenario.js";

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
 * Fields nats-server has and tsnats leaves out, with the reason: tsnats has no system
 * account ($SYS), so nothing names it and no account imports its services.
 */
const NOT_IN_TSNATS = new Set([
  "varz.system_account",
  "auth-varz.system_account",
  "accountz.system_account",
  "accountz-global.system_account",
  "accountz-global.account_detail.imports",
]);

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
    // nothing to learn about elements from an empty array on either side
    if (expected.length === 0 || actual.length === 0) return;
    const em = mergeElements(expected);
    const am = mergeElements(actual);
    const ep = `${p}[]`;
    if (em.mixed || am.mixed || em.kind !== am.kind) {
      drifts.push(`${ep}: element types ${JSON.stringify(em.mixed ?? em.kind)} vs ${JSON.stringify(am.mixed ?? am.kind)}`);
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
  });
});
