// Per-account monitoring against Debian's nats-server with the same config: two accounts with
// users, exports, imports and mappings, clients in each; /varz's system_account, /accountz
// (the list and account_detail), /accstatz, /connz?acc= and /subsz?acc=. Field names and
// types are compared, values where they do not differ by nature. nats-server's own service
// imports of $SYS requests into every account (and their subscriptions) are left out of the
// comparison: tsnats answers those requests without imports.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { serverKinds, startServer } from "./helpers/servers.js";
import { rawConnect, writeUntilPong } from "./helpers/raw.js";
import { get, monitorPort } from "./fixtures/monitor/scenario.js";

const tmp = mkdtempSync(path.join(tmpdir(), "tsnats-monacc-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const CONFIG = `
mappings: { "g.*.x": "g.x.$1" }
accounts {
  A: {
    users: [{user: a, password: a}]
    exports: [
      {stream: "a.events.>"}
      {service: "a.svc", accounts: [B], response_type: stream}
      {service: "a.pub"}
      {service: "a.chunk", response_type: chunked}
    ]
    mappings: {
      "a.m1": "a.m2"
      "a.w": [{destination: "a.w1", weight: 40%}, {destination: "a.w2", weight: 60%}]
      "a.part": [{destination: "a.p1", weight: 30%}]
    }
  }
  B: {
    users: [{user: b, password: b}]
    imports: [
      {stream: {account: A, subject: "a.events.>"}, prefix: "fromA"}
      {service: {account: A, subject: "a.svc"}, to: "svc.a"}
      {stream: {account: A, subject: "a.events.x"}, to: "ax"}
      {service: {account: A, subject: "a.pub"}}
    ]
  }
}
`;

/** Connect a user, subscribe, and wait until the server has it all. */
async function client(port, user, name, subs) {
  const { c } = await rawConnect(port, { verbose: false, pedantic: false, user, pass: user, name, lang: "raw" });
  await writeUntilPong(c.sock, subs.map(([s, q], i) => `SUB ${s}${q ? ` ${q}` : ""} ${i + 1}\r\n`).join(""));
  return c;
}

/** Everything the comparison reads from one server of `kind`. */
async function scenario(kind) {
  const conf = path.join(tmp, `${kind}.conf`);
  writeFileSync(conf, CONFIG);
  const srv = await startServer(kind, ["-c", conf, "-m", "-1"]);
  const conns = [];
  try {
    const mp = monitorPort(srv);
    const a1 = await client(srv.port, "a", "a1", [["foo"], ["a.>"]]);
    const a2 = await client(srv.port, "a", "a2", [["foo", "q"]]);
    const b1 = await client(srv.port, "b", "b1", [["foo"], ["bar"], ["ax"]]);
    const gone = await client(srv.port, "b", "gone", [["baz"]]);
    conns.push(a1, a2, b1, gone);
    // 2 messages into A (each to a1 and one of the queue), 1 into B
    await writeUntilPong(a1.sock, "PUB foo 5\r\nhello\r\nPUB foo 3\r\nabc\r\n");
    await writeUntilPong(b1.sock, "PUB foo 2\r\nhi\r\n");
    gone.sock.destroy();
    const r = {};
    const paths = {
      varz: "/varz",
      accountz: "/accountz",
      A: "/accountz?acc=A",
      B: "/accountz?acc=B",
      G: "/accountz?acc=$G",
      SYS: "/accountz?acc=$SYS",
      nope: "/accountz?acc=nope",
      accstatz: "/accstatz",
      unused: "/accstatz?unused=1",
      connzA: "/connz?acc=A&auth=1",
      connzB: "/connz?acc=B&auth=1&subs=1",
      connzNope: "/connz?acc=nope",
      subszA: "/subsz?acc=A&subs=1",
      subszB: "/subsz?acc=B&subs=1",
      subszAstats: "/subsz?acc=A",
    };
    // the closed connection is on the books before anything is read
    for (const end = Date.now() + 5000; ; ) {
      const c = (await get(mp, "/connz?acc=B&state=closed")).json;
      if (c.total === 1 || Date.now() > end) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    paths.closedB = "/connz?acc=B&state=closed&auth=1";
    paths.closedA = "/connz?acc=A&state=closed";
    for (const [k, p] of Object.entries(paths)) r[k] = await get(mp, p);
    return r;
  } finally {
    for (const c of conns) c.sock.destroy();
    await srv.stop();
  }
}

function kindOf(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** Field names and types of `want` (nats-server) and `got` (tsnats): the list of differences. */
function shapeDiff(want, got, p = "", out = [], skip = new Set()) {
  if (skip.has(p)) return out;
  const wk = kindOf(want);
  const gk = kindOf(got);
  if (wk !== gk) {
    out.push(`${p}: nats-server ${wk}, tsnats ${gk}`);
    return out;
  }
  if (wk === "object") {
    for (const k of Object.keys(want))
      if (!(k in got) && !skip.has(`${p}.${k}`)) out.push(`${p}.${k}: missing in tsnats`);
    for (const k of Object.keys(got)) if (!(k in want) && !skip.has(`${p}.${k}`)) out.push(`${p}.${k}: only in tsnats`);
    for (const k of Object.keys(want)) if (k in got) shapeDiff(want[k], got[k], `${p}.${k}`, out, skip);
  } else if (wk === "array" && want.length > 0 && got.length > 0) {
    shapeDiff(want[0], got[0], `${p}[]`, out, skip);
  }
  return out;
}

/** nats-server's own imports of its $SYS services, which tsnats does not make. */
const notSys = (imports) => (imports ?? []).filter((i) => i.account !== "$SYS");

/** nats-server before 2.10 wrote a service import's subject and to the other way round. */
function as210(version, imports) {
  const [maj, min] = version.split(".").map(Number);
  if (maj > 2 || (maj === 2 && min >= 10)) return imports;
  return imports.map((i) =>
    i.type === "service"
      ? { subject: i.to, account: i.account, to: i.subject, local_subject: i.subject, ...rest(i) }
      : i,
  );
}

function rest(i) {
  const { subject: _s, account: _a, to: _t, local_subject: _l, ...r } = i;
  return r;
}

/** Exports in a comparable order (nats-server lists them in Go map order). */
const sortedExports = (list) =>
  (list ?? [])
    .map((e) => (e.approved_accounts ? { ...e, approved_accounts: [...e.approved_accounts].sort() } : e))
    .sort((x, y) => `${x.type} ${x.subject}`.localeCompare(`${y.type} ${y.subject}`));

const sortedImports = (list) =>
  [...list].sort((x, y) => `${x.type} ${x.subject}`.localeCompare(`${y.type} ${y.subject}`));

const kinds = serverKinds();

describe("per-account monitoring", () => {
  const results = {};
  before(async () => {
    for (const k of kinds) results[k] = await scenario(k);
  });

  for (const kind of kinds) {
    describe(`[${kind}]`, () => {
      const r = () => results[kind];

      it("/varz and /accountz name the system account; /accountz lists every account", () => {
        assert.equal(r().varz.json.system_account, "$SYS");
        const az = r().accountz.json;
        assert.equal(az.system_account, "$SYS");
        assert.deepEqual([...az.accounts].sort(), ["$G", "$SYS", "A", "B"]);
        assert.equal(az.account_detail, undefined);
      });

      it("/accountz?acc= gives account_detail; an unknown account nats-server's error", () => {
        const a = r().A.json;
        assert.equal(a.system_account, "$SYS");
        const d = a.account_detail;
        assert.equal(d.account_name, "A");
        assert.equal(d.is_system, undefined);
        assert.equal(d.client_connections, 2);
        assert.equal(typeof d.update_time, "string");
        assert.equal(d.subscriptions, r().subszAstats.json.num_subscriptions);
        assert.equal(d.sublist_stats.num_subscriptions, d.subscriptions);
        assert.equal(r().SYS.json.account_detail.is_system, true);
        assert.equal(r().B.json.account_detail.client_connections, 1);
        assert.equal(r().G.json.account_detail.client_connections, 0);
        assert.equal(r().nope.status, 400);
        assert.equal(r().nope.text, "Account nope does not exist");
      });

      it("exports, imports and mappings as nats-server 2.10 renders them", () => {
        const a = r().A.json.account_detail;
        assert.deepEqual(sortedExports(a.exports), [
          { subject: "a.chunk", type: "service", response_type: "Chunked" },
          { subject: "a.pub", type: "service", response_type: "Singleton" },
          { subject: "a.svc", type: "service", response_type: "Streamed", approved_accounts: ["B"] },
          { subject: "a.events.>", type: "stream" },
        ]);
        assert.deepEqual(a.mappings, {
          "a.m1": [{ subject: "a.m2", weight: 100 }],
          "a.part": [
            { subject: "a.p1", weight: 30 },
            { subject: "a.part", weight: 100 },
          ],
          "a.w": [
            { subject: "a.w1", weight: 40 },
            { subject: "a.w2", weight: 100 },
          ],
        });
        assert.deepEqual(Object.keys(a.mappings), ["a.m1", "a.part", "a.w"], "keys in Go's sorted order");
        const b = r().B.json.account_detail;
        const flags = { invalid: false, share: false, tracking: false };
        assert.deepEqual(sortedImports(as210(r().varz.json.version, notSys(b.imports))), [
          { subject: "a.pub", account: "A", to: "a.pub", local_subject: "a.pub", type: "service", ...flags },
          { subject: "a.svc", account: "A", to: "svc.a", local_subject: "svc.a", type: "service", ...flags },
          { subject: "a.events.>", account: "A", local_subject: "fromA.a.events.>", type: "stream", ...flags },
          { subject: "a.events.x", account: "A", local_subject: "ax", type: "stream", ...flags },
        ]);
        assert.equal(b.exports, undefined);
        assert.equal(b.mappings, undefined);
        // the top-level mappings are the global account's
        assert.deepEqual(r().G.json.account_detail.mappings, { "g.*.x": [{ subject: "g.x.$1", weight: 100 }] });
      });

      it("/accstatz: accounts with connections, or all with unused=1", () => {
        const st = Object.fromEntries(r().accstatz.json.account_statz.map((s) => [s.acc, s]));
        assert.deepEqual(Object.keys(st).sort(), ["A", "B"]);
        assert.equal(st.A.conns, 2);
        assert.equal(st.A.total_conns, 2);
        assert.equal(st.B.conns, 1);
        assert.deepEqual(st.A.received, { msgs: 2, bytes: 8 });
        assert.deepEqual(st.A.sent, { msgs: 4, bytes: 16 });
        assert.deepEqual(st.B.received, { msgs: 1, bytes: 2 });
        assert.deepEqual(st.B.sent, { msgs: 1, bytes: 2 });
        const all = r().unused.json.account_statz.map((s) => s.acc);
        assert.deepEqual([...all].sort(), ["$G", "$SYS", "A", "B"]);
      });

      it("/connz?acc= and /subsz?acc= stay inside the account", () => {
        const names = (c) => c.connections.map((x) => x.name).sort();
        assert.deepEqual(names(r().connzA.json), ["a1", "a2"]);
        assert.equal(r().connzA.json.total, 2);
        for (const c of r().connzA.json.connections) {
          assert.equal(c.account, "A");
          assert.equal(c.authorized_user, "a");
        }
        assert.deepEqual(names(r().connzB.json), ["b1"]);
        assert.deepEqual([...r().connzB.json.connections[0].subscriptions_list].sort(), ["ax", "bar", "foo"]);
        assert.deepEqual(names(r().closedB.json), ["gone"]);
        assert.equal(r().closedB.json.connections[0].account, "B");
        assert.equal(r().closedA.json.total, 0);
        const nope = r().connzNope.json;
        assert.equal(nope.server_id, "");
        assert.equal(nope.total, 0);
        // (nats-server also lists, in A's index, the shadow subscription b1's "ax" makes for
        // its import of a.events.x, under b1's account B: that belongs to the imports' tests)
        const ours = (j, cids, acc) =>
          j.subscriptions_list
            .filter((s) => cids.includes(s.cid) && s.account === acc)
            .map((s) => `${s.account} ${s.subject}${s.qgroup ? ` ${s.qgroup}` : ""}`)
            .sort();
        const cidsA = r().connzA.json.connections.map((c) => c.cid);
        const cidsB = r().connzB.json.connections.map((c) => c.cid);
        assert.deepEqual(ours(r().subszA.json, [...cidsA, ...cidsB], "A"), ["A a.>", "A foo", "A foo q"]);
        assert.deepEqual(ours(r().subszB.json, [...cidsA, ...cidsB], "B"), ["B ax", "B bar", "B foo"]);
        for (const s of r().subszB.json.subscriptions_list) assert.equal(s.account, "B");
      });
    });
  }

  it("tsnats's JSON has nats-server's field names and types", {
    skip: kinds.length < 2 && "needs both servers",
  }, () => {
    const t = results.tsnats;
    const n = results["nats-server"];
    // fields 2.10 added that the 2.9.10 oracle lacks; nats-server's $SYS service imports
    const skip = new Set([
      ".account_statz[].num_subscriptions",
      ".slow_consumer_stats",
      ".account_detail.imports",
      ".account_detail.exports",
    ]);
    for (const k of ["accountz", "A", "B", "G", "accstatz", "unused", "connzA", "connzB", "closedB", "connzNope"]) {
      assert.deepEqual(shapeDiff(n[k].json, t[k].json, "", [], skip), [], k);
    }
    for (const k of ["A", "B", "G"]) {
      const ni = as210(n.varz.json.version, notSys(n[k].json.account_detail.imports));
      const ti = t[k].json.account_detail.imports ?? [];
      assert.deepEqual(sortedImports(ti), sortedImports(ni), `${k} imports`);
      assert.deepEqual(
        sortedExports(t[k].json.account_detail.exports),
        sortedExports(n[k].json.account_detail.exports),
      );
      assert.deepEqual(t[k].json.account_detail.mappings, n[k].json.account_detail.mappings);
    }
    assert.equal(t.varz.json.system_account, n.varz.json.system_account);
    assert.equal(t.nope.text, n.nope.text);
  });
});

describe("no_system_account: no system account anywhere", () => {
  for (const kind of kinds) {
    it(`[${kind}] /varz and /accountz name none, $SYS does not exist`, async () => {
      const conf = path.join(tmp, `nosys-${kind}.conf`);
      writeFileSync(conf, "no_system_account: true\n");
      const srv = await startServer(kind, ["-c", conf, "-m", "-1"]);
      try {
        const mp = monitorPort(srv);
        assert.equal("system_account" in (await get(mp, "/varz")).json, false);
        const az = (await get(mp, "/accountz")).json;
        assert.equal("system_account" in az, false);
        assert.deepEqual(az.accounts, ["$G"]);
        const sys = await get(mp, "/accountz?acc=$SYS");
        assert.equal(sys.status, 400);
        assert.equal(sys.text, "Account $SYS does not exist");
      } finally {
        await srv.stop();
      }
    });
  }
});

describe("a configured system_account", () => {
  for (const kind of kinds) {
    it(`[${kind}] is the one named, with its users' connections; no $SYS besides`, async () => {
      const conf = path.join(tmp, `sys-${kind}.conf`);
      writeFileSync(
        conf,
        "accounts {\n  SYS: { users: [{user: s, password: s}] }\n  APP: { users: [{user: p, password: p}] }\n}\nsystem_account: SYS\n",
      );
      const srv = await startServer(kind, ["-c", conf, "-m", "-1"]);
      let c;
      try {
        const mp = monitorPort(srv);
        c = await client(srv.port, "s", "sys1", [["x"]]);
        assert.equal((await get(mp, "/varz")).json.system_account, "SYS");
        const az = (await get(mp, "/accountz")).json;
        assert.equal(az.system_account, "SYS");
        assert.deepEqual([...az.accounts].sort(), ["$G", "APP", "SYS"]);
        const d = (await get(mp, "/accountz?acc=SYS")).json.account_detail;
        assert.equal(d.is_system, true);
        assert.equal(d.client_connections, 1);
        assert.equal((await get(mp, "/accountz?acc=APP")).json.account_detail.is_system, undefined);
        const st = (await get(mp, "/accstatz")).json.account_statz;
        assert.deepEqual(
          st.map((a) => [a.acc, a.conns]),
          [["SYS", 1]],
        );
      } finally {
        c?.sock.destroy();
        await srv.stop();
      }
    });
  }
});

describe("no config at all: the system account exists", () => {
  for (const kind of kinds) {
    it(`[${kind}] /varz names $SYS, /accountz lists $G and $SYS`, async () => {
      const srv = await startServer(kind, ["-m", "-1"]);
      try {
        const mp = monitorPort(srv);
        assert.equal((await get(mp, "/varz")).json.system_account, "$SYS");
        const az = (await get(mp, "/accountz")).json;
        assert.equal(az.system_account, "$SYS");
        assert.deepEqual([...az.accounts].sort(), ["$G", "$SYS"]);
        const sys = (await get(mp, "/accountz?acc=$SYS")).json.account_detail;
        assert.equal(sys.is_system, true);
        assert.equal(sys.client_connections, 0);
      } finally {
        await srv.stop();
      }
    });
  }
});
