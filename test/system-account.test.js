// The system account: connect/disconnect events, account connection counts, STATSZ and the
// $SYS.REQ monitoring requests, against tsnats and Debian's nats-server with the same
// assertions (2.9.10, the oracle, differs from 2.10 where noted: its ServerInfo has no
// `flags` and orders `seq` before `jetstream`, its AccountStat has no `num_subscriptions`,
// and it answers no IDZ and no USER.INFO).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { connect, headers } from "@nats-io/transport-node";
import { serverKinds, startServer as startChild } from "./helpers/servers.js";
import { startServer as startEmbedded } from "../dist/server/index.js";
import { get, monitorPort } from "./fixtures/monitor/scenario.js";
import { isOracle29 } from "./helpers/protocol-cases.js";
import { waitUntil } from "./helpers/wait.js";

const USERS = {
  SYS: [["sys", "sys"]],
  A: [
    ["a", "a"],
    ["a2", "a2"],
  ],
  B: [["b", "b"]],
};

const CONFIG = `
accounts {
${Object.entries(USERS)
  .map(([acc, us]) => `  ${acc} { users: [ ${us.map(([u, p]) => `{user: ${u}, password: ${p}}`).join(", ")} ] }`)
  .join("\n")}
}
system_account: SYS
`;

/** One server of a kind with the accounts above (the same config file) and monitoring on. */
async function start(kind, dir) {
  const file = path.join(dir, "sys.conf");
  writeFileSync(file, CONFIG);
  const srv = await startChild(kind, ["-c", file, "-m", "-1"]);
  return { port: srv.port, mport: monitorPort(srv), stop: () => srv.stop() };
}

const login = (port, user, extra = {}) => connect({ port, user, pass: user, reconnect: false, ...extra });

/** Subscribe and record the messages as [subject, parsed JSON]. */
function record(nc, subject) {
  const got = [];
  nc.subscribe(subject, { callback: (_e, m) => got.push([m.subject, JSON.parse(m.string())]) });
  return got;
}

/** Every answer to a request within `ms` (the way `nats server ping` collects them). */
async function gather(nc, subject, body = "", ms = 400) {
  const inbox = `_INBOX.${Math.random().toString(36).slice(2)}`;
  const got = [];
  const sub = nc.subscribe(inbox, { callback: (_e, m) => got.push(JSON.parse(m.string())) });
  nc.publish(subject, body, { reply: inbox });
  await nc.flush();
  await new Promise((r) => setTimeout(r, ms));
  sub.unsubscribe();
  return got;
}

async function ask(nc, subject, body = "") {
  const r = await nc.request(subject, body, { timeout: 2000 });
  return JSON.parse(r.string());
}

/** Read a Snappy framing-format stream made of uncompressed chunks, checking each CRC-32C. */
function unframeSnappy(b) {
  assert.deepEqual([...b.subarray(0, 10)], [0xff, 6, 0, 0, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
  const out = [];
  for (let i = 10; i < b.length; ) {
    assert.equal(b[i], 0x01, "an uncompressed data chunk");
    const len = b[i + 1] | (b[i + 2] << 8) | (b[i + 3] << 16);
    const data = b.subarray(i + 8, i + 4 + len);
    let c = 0xffffffff;
    for (const x of data) {
      c ^= x;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    }
    const crc = (c ^ 0xffffffff) >>> 0;
    assert.equal(b.readUInt32LE(i + 4), (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0, "masked CRC-32C");
    out.push(data);
    i += 4 + len;
  }
  return Buffer.concat(out).toString("utf8");
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** The ServerInfo of every $SYS message: nats-server 2.10's fields and order (2.9.10's without flags). */
function checkServerInfo(kind, si, id) {
  const keys = isOracle29(kind)
    ? ["name", "host", "id", "ver", "seq", "jetstream", "time"]
    : ["name", "host", "id", "ver", "jetstream", "flags", "seq", "time"];
  assert.deepEqual(Object.keys(si), keys);
  assert.equal(si.id, id);
  assert.equal(typeof si.name, "string");
  assert.equal(typeof si.host, "string");
  assert.match(si.ver, /^2\.\d+\.\d+$/);
  assert.equal(si.jetstream, false);
  if (!isOracle29(kind)) assert.equal(si.flags, 0);
  assert.ok(Number.isInteger(si.seq) && si.seq > 0);
  assert.match(si.time, RFC3339);
}

for (const kind of serverKinds()) {
  describe(`system account (${kind})`, () => {
    let dir;
    let srv;
    let sys;
    let id;
    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), "tsnats-sys-"));
      srv = await start(kind, dir);
      sys = await login(srv.port, "sys");
      id = sys.info.server_id;
    });
    after(async () => {
      await sys?.close();
      await srv?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("a system user sees CONNECT and DISCONNECT of another account's client with nats-server's fields", async () => {
      const events = record(sys, "$SYS.ACCOUNT.A.>");
      await sys.flush();
      const a = await login(srv.port, "a", { name: "evt-a" });
      const cid = a.info.client_id;
      a.publish("some.subject", "hello");
      await a.flush();
      await a.close();
      await waitUntil(() => events.some(([s]) => s === "$SYS.ACCOUNT.A.DISCONNECT"), "the DISCONNECT event");
      const [, con] = events.find(([s]) => s === "$SYS.ACCOUNT.A.CONNECT");
      const [, dis] = events.find(([s]) => s === "$SYS.ACCOUNT.A.DISCONNECT");

      assert.deepEqual(Object.keys(con), ["type", "id", "timestamp", "server", "client"]);
      assert.equal(con.type, "io.nats.server.advisory.v1.client_connect");
      assert.match(con.id, /^[0-9A-Za-z]{22}$/);
      assert.match(con.timestamp, RFC3339);
      checkServerInfo(kind, con.server, id);
      // the client's fields in both events: DISCONNECT adds rtt and stop before kind
      const clientKeys = ["start", "host", "id", "acc", "user", "name", "lang", "ver"];
      assert.deepEqual(Object.keys(con.client), [...clientKeys, "kind", "client_type"]);
      assert.match(con.client.start, RFC3339);
      assert.deepEqual(
        { ...con.client, start: undefined, ver: undefined },
        {
          start: undefined,
          host: "127.0.0.1",
          id: cid,
          acc: "A",
          user: "a",
          name: "evt-a",
          lang: "nats.js",
          ver: undefined,
          kind: "Client",
          client_type: "nats",
        },
      );

      assert.deepEqual(Object.keys(dis), ["type", "id", "timestamp", "server", "client", "sent", "received", "reason"]);
      assert.equal(dis.type, "io.nats.server.advisory.v1.client_disconnect");
      assert.notEqual(dis.id, con.id);
      checkServerInfo(kind, dis.server, id);
      assert.ok(dis.server.seq > con.server.seq, "seq goes up");
      assert.deepEqual(Object.keys(dis.client), [...clientKeys, "rtt", "stop", "kind", "client_type"]);
      assert.equal(dis.client.id, cid);
      assert.equal(dis.client.start, con.client.start);
      assert.ok(Number.isInteger(dis.client.rtt) && dis.client.rtt > 0, "rtt in nanoseconds");
      assert.match(dis.client.stop, RFC3339);
      assert.ok(Date.parse(dis.client.stop) >= Date.parse(dis.client.start));
      // from the client's side: it sent one message of 5 bytes and received none
      assert.deepEqual(dis.sent, { msgs: 1, bytes: 5 });
      assert.deepEqual(dis.received, { msgs: 0, bytes: 0 });
      assert.equal(dis.reason, "Client Closed");

      // the account's connection count, on both subjects, before each event
      const conns = events.filter(([s]) => s === "$SYS.ACCOUNT.A.SERVER.CONNS").map(([, m]) => m);
      assert.deepEqual(
        conns.map((m) => m.conns),
        [1, 0],
      );
      const keys = ["type", "id", "timestamp", "server", "acc", "conns", "leafnodes", "total_conns"];
      if (!isOracle29(kind)) keys.push("num_subscriptions");
      assert.deepEqual(Object.keys(conns[1]), [...keys, "sent", "received", "slow_consumers"]);
      assert.equal(conns[1].type, "io.nats.server.advisory.v1.account_connections");
      assert.equal(conns[1].acc, "A");
      assert.deepEqual(conns[1].received, { msgs: 1, bytes: 5 });
      const order = events.map(([s]) => s.split(".").slice(3).join("."));
      assert.deepEqual(order, ["SERVER.CONNS", "CONNECT", "SERVER.CONNS", "DISCONNECT"]);
    });

    it("$SYS.REQ.SERVER.PING.VARZ and /varz give the same fields", async () => {
      const http = (await get(srv.mport, "/varz")).json;
      for (const subject of ["$SYS.REQ.SERVER.PING.VARZ", `$SYS.REQ.SERVER.${id}.VARZ`]) {
        const r = await ask(sys, subject);
        assert.deepEqual(Object.keys(r), ["server", "data"]);
        checkServerInfo(kind, r.server, id);
        assert.deepEqual(Object.keys(r.data), Object.keys(http), subject);
        for (const k of ["server_id", "server_name", "version", "port", "max_payload", "http_port", "start"]) {
          assert.deepEqual(r.data[k], http[k], k);
        }
      }
    });

    it("PING gets one statsz answer per server; without a reply it goes to the STATSZ subject", async () => {
      for (const subject of ["$SYS.REQ.SERVER.PING", "$SYS.REQ.SERVER.PING.STATSZ"]) {
        const answers = await gather(sys, subject);
        assert.equal(answers.length, 1, subject);
        const [m] = answers;
        assert.deepEqual(Object.keys(m), ["server", "statsz"]);
        checkServerInfo(kind, m.server, id);
        assert.deepEqual(Object.keys(m.statsz), [
          "start",
          "mem",
          "cores",
          "cpu",
          "connections",
          "total_connections",
          "active_accounts",
          "subscriptions",
          "sent",
          "received",
          "slow_consumers",
          "active_servers",
        ]);
        const v = (await get(srv.mport, "/varz")).json;
        assert.equal(m.statsz.start, v.start);
        assert.equal(m.statsz.connections, v.connections);
        assert.equal(m.statsz.active_servers, 1);
        assert.ok(m.statsz.mem > 0 && m.statsz.cores > 0);
      }
      const broadcast = record(sys, `$SYS.SERVER.${id}.STATSZ`);
      await sys.flush();
      sys.publish("$SYS.REQ.SERVER.PING");
      await waitUntil(() => broadcast.length > 0, "the STATSZ broadcast");
      assert.deepEqual(Object.keys(broadcast[0][1]), ["server", "statsz"]);
      // a filter that leaves this server out: no answer at all
      assert.equal((await gather(sys, "$SYS.REQ.SERVER.PING", '{"server_name":"no-such-server"}')).length, 0);
    });

    it("ACCOUNT.<acc>.CONNZ lists only that account's connections", async () => {
      const a1 = await login(srv.port, "a", { name: "conn-a1" });
      const a2 = await login(srv.port, "a2", { name: "conn-a2" });
      const b = await login(srv.port, "b", { name: "conn-b" });
      try {
        a1.subscribe("a1.sub");
        await a1.flush();
        const names = (r) => r.data.connections.map((c) => c.name).sort();
        const ra = await ask(sys, "$SYS.REQ.ACCOUNT.A.CONNZ");
        assert.deepEqual(Object.keys(ra), ["server", "data"]);
        assert.deepEqual(names(ra), ["conn-a1", "conn-a2"]);
        assert.equal(ra.data.num_connections, 2);
        assert.equal(ra.data.connections[0].subscriptions_list, undefined);
        assert.deepEqual(names(await ask(sys, "$SYS.REQ.ACCOUNT.B.CONNZ")), ["conn-b"]);
        // request options in the body, nats-server's field names (case-insensitive, as Go decodes)
        const withSubs = await ask(sys, "$SYS.REQ.ACCOUNT.A.CONNZ", '{"Subscriptions": true}');
        const c1 = withSubs.data.connections.find((c) => c.name === "conn-a1");
        assert.deepEqual(c1.subscriptions_list, ["a1.sub"]);
        const one = await ask(sys, "$SYS.REQ.ACCOUNT.A.CONNZ", '{"limit": 1}');
        assert.equal(one.data.connections.length, 1);
        assert.equal(one.data.total, 2);
        // the same list as /connz?acc=A
        const http = (await get(srv.mport, "/connz?acc=A")).json;
        assert.deepEqual(
          http.connections.map((c) => c.cid),
          ra.data.connections.map((c) => c.cid),
        );
        // an account's own user asks through the server's import: its own account only
        const own = await ask(b, "$SYS.REQ.SERVER.PING.CONNZ");
        assert.deepEqual(names(own), ["conn-b"]);
      } finally {
        await Promise.all([a1.close(), a2.close(), b.close()]);
      }
    });

    it("Accept-Encoding: gzip compresses the answer; an unknown encoding is answered as identity", async () => {
      const ask2 = async (enc) => {
        const h = headers();
        h.set("Accept-Encoding", enc);
        return sys.request("$SYS.REQ.SERVER.PING.VARZ", "", { timeout: 2000, headers: h });
      };
      const gz = await ask2("gzip");
      assert.equal(gz.headers?.get("Content-Encoding"), "gzip");
      const v = JSON.parse(gunzipSync(Buffer.from(gz.data)).toString("utf8"));
      assert.deepEqual(Object.keys(v), ["server", "data"]);
      assert.equal(v.data.server_id, id);
      const other = await ask2("br");
      assert.equal(other.headers?.get("Content-Encoding"), "identity");
      assert.equal(JSON.parse(other.string()).data.server_id, id);
      if (kind === "tsnats") {
        // snappy: the framing format (uncompressed chunks here), its CRC-32C checked
        const sn = await ask2("snappy");
        assert.equal(sn.headers?.get("Content-Encoding"), "snappy");
        assert.equal(JSON.parse(unframeSnappy(Buffer.from(sn.data))).data.server_id, id);
      }
    });

    it("bad request options get nats-server's error texts", async () => {
      const cases = [
        [
          '{"subscriptions":"yes"}',
          400,
          "json: cannot unmarshal string into Go struct field ConnzEventOptions.subscriptions of type bool",
        ],
        [
          '{"offset":1.5}',
          400,
          "json: cannot unmarshal number 1.5 into Go struct field ConnzEventOptions.offset of type int",
        ],
        [
          '{"state":"open"}',
          400,
          "json: cannot unmarshal string into Go struct field ConnzEventOptions.state of type server.ConnState",
        ],
        [
          '{"cid":-1}',
          400,
          "json: cannot unmarshal number -1 into Go struct field ConnzEventOptions.cid of type uint64",
        ],
        [
          '{"sort":1}',
          400,
          "json: cannot unmarshal number into Go struct field ConnzEventOptions.sort of type server.SortOpt",
        ],
        [
          '{"tags":"x"}',
          400,
          "json: cannot unmarshal string into Go struct field ConnzEventOptions.tags of type []string",
        ],
        ["[1]", 400, "json: cannot unmarshal array into Go value of type server.ConnzEventOptions"],
        ["{bad", 400, "invalid character 'b' looking for beginning of object key string"],
        ['{"a" 1}', 400, "invalid character '1' after object key"],
        ['{"a":1 "b":2}', 400, `invalid character '"' after object key:value pair`],
        ['{"a":}', 400, "invalid character '}' looking for beginning of value"],
        ['{"a":', 400, "unexpected end of JSON input"],
        ["xyz", 400, "invalid character 'x' looking for beginning of value"],
        ["[1 2]", 400, "invalid character '2' after array element"],
        ['{"a":1}x', 400, "invalid character 'x' after top-level value"],
        ['{"a":tru}', 400, "invalid character '}' in literal true (expecting 'e')"],
        ['{"a":"\\q"}', 400, "invalid character 'q' in string escape code"],
        ['{"sort":"bogus"}', 500, "invalid sorting option: bogus"],
      ];
      for (const [body, code, description] of cases) {
        const r = await ask(sys, "$SYS.REQ.SERVER.PING.CONNZ", body);
        assert.deepEqual(r.error, { code, description }, body);
        // the endpoint's own refusals carry "data": null, as nats-server's typed nil does
        assert.deepEqual(Object.keys(r), code === 500 ? ["server", "data", "error"] : ["server", "error"], body);
      }
      const nope = await ask(sys, "$SYS.REQ.ACCOUNT.NOPE.INFO");
      assert.deepEqual(nope.error, { code: 500, description: "Account NOPE does not exist" });
      const subsz = await ask(sys, "$SYS.REQ.SERVER.PING.SUBSZ", '{"test":"a.*"}');
      assert.deepEqual(subsz.error, {
        code: 500,
        description: "invalid test subject, must be valid publish subject: a.*",
      });
    });

    it("ACCOUNT.<acc>.INFO, SUBSZ and STATZ, HEALTHZ and ACCOUNTZ answer as their endpoints", async () => {
      const a = await login(srv.port, "a", { name: "info-a" });
      try {
        a.subscribe("info.sub");
        await a.flush();
        const info = await ask(sys, "$SYS.REQ.ACCOUNT.A.INFO");
        assert.equal(info.data.account_name, "A");
        assert.equal(info.data.client_connections, 1);
        const subs = await ask(sys, "$SYS.REQ.ACCOUNT.A.SUBSZ");
        const mine = subs.data.subscriptions_list.filter((s) => s.subject === "info.sub");
        assert.equal(mine.length, 1);
        assert.equal(mine[0].account, "A");
        assert.ok(subs.data.subscriptions_list.every((s) => s.account === "A"));
        const statz = await ask(sys, "$SYS.REQ.ACCOUNT.A.STATZ");
        assert.deepEqual(
          statz.data.account_statz.map((s) => [s.acc, s.conns]),
          [["A", 1]],
        );
        assert.deepEqual((await ask(sys, "$SYS.REQ.SERVER.PING.HEALTHZ")).data, { status: "ok" });
        const accz = await ask(sys, "$SYS.REQ.SERVER.PING.ACCOUNTZ");
        assert.deepEqual(accz.data.accounts.filter((n) => n === "A" || n === "B").sort(), ["A", "B"]);
      } finally {
        await a.close();
      }
      // an account without connections gives no STATZ answer (unless include_unused)
      await assert.rejects(sys.request("$SYS.REQ.ACCOUNT.B.STATZ", "", { timeout: 300 }));
      const unused = await ask(sys, "$SYS.REQ.ACCOUNT.B.STATZ", '{"include_unused": true}');
      assert.deepEqual(
        unused.data.account_statz.map((s) => [s.acc, s.conns]),
        [["B", 0]],
      );
    });

    it("a non-system user cannot see $SYS traffic", async () => {
      const a = await login(srv.port, "a");
      const a2 = await login(srv.port, "a2");
      try {
        // the server's services are in the system account only (asked before a's ">" below
        // exists: it would take these requests, and its close reaches the server a moment
        // after a.close() resolves)
        for (const s of ["$SYS.REQ.SERVER.PING", "$SYS.REQ.SERVER.PING.VARZ", "$SYS.REQ.ACCOUNT.B.CONNZ"]) {
          await assert.rejects(a2.request(s, "", { timeout: 1000 }), /no responders/i, s);
        }
        const seen = record(a, ">");
        await a.flush();
        const b = await login(srv.port, "b");
        await b.close();
        await ask(sys, "$SYS.REQ.SERVER.PING.VARZ");
        sys.publish("$SYS.REQ.SERVER.PING");
        await sys.flush();
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(seen, []);
      } finally {
        await Promise.all([a.close(), a2.close()]);
      }
    });

    it("USER.INFO answers the requesting user (2.10)", {
      skip: isOracle29(kind) && "2.9.10 has no USER.INFO",
    }, async () => {
      const r = await ask(sys, "$SYS.REQ.USER.INFO");
      assert.deepEqual(r.data, { user: "sys", account: "SYS" });
      const a = await login(srv.port, "a2");
      try {
        const ra = await ask(a, "$SYS.REQ.USER.INFO");
        assert.deepEqual(Object.keys(ra), ["server", "data"]);
        assert.deepEqual(ra.data, { user: "a2", account: "A" });
      } finally {
        await a.close();
      }
    });

    it("KICK closes a client by id (2.10)", { skip: isOracle29(kind) && "2.9.10 has no KICK" }, async () => {
      const events = record(sys, "$SYS.ACCOUNT.B.DISCONNECT");
      await sys.flush();
      const b = await login(srv.port, "b");
      const closed = b.closed();
      const r = await ask(sys, `$SYS.REQ.SERVER.${id}.KICK`, JSON.stringify({ cid: b.info.client_id }));
      assert.deepEqual(Object.keys(r), ["server"]);
      await closed;
      await waitUntil(() => events.length === 1, "the DISCONNECT of the kicked client");
      assert.equal(events[0][1].reason, "Kicked");
      const none = await ask(sys, `$SYS.REQ.SERVER.${id}.KICK`, '{"cid": 999999}');
      assert.deepEqual(none.error, { code: 500, description: "no such client or leafnode id" });
    });

    it("RELOAD reads the config file again (2.10)", { skip: isOracle29(kind) && "2.9.10 has no RELOAD" }, async () => {
      const r = await ask(sys, `$SYS.REQ.SERVER.${id}.RELOAD`);
      assert.deepEqual(Object.keys(r), ["server"]);
      // a change that cannot be made at runtime is refused with the reload's own text
      const file = path.join(dir, "sys.conf");
      writeFileSync(file, `${CONFIG}\nserver_name: renamed\n`);
      try {
        const bad = await ask(sys, `$SYS.REQ.SERVER.${id}.RELOAD`);
        assert.equal(bad.error.code, 500);
        assert.match(bad.error.description, /^config reload not supported for ServerName: old=, new=renamed$/);
      } finally {
        writeFileSync(file, CONFIG);
      }
    });

    it("IDZ names the server without an envelope (2.10)", {
      skip: isOracle29(kind) && "2.9.10 has no IDZ",
    }, async () => {
      const r = await ask(sys, `$SYS.REQ.SERVER.${id}.IDZ`);
      assert.deepEqual(Object.keys(r), ["name", "host", "id"]);
      assert.equal(r.id, id);
    });
  });
}

const EDGE_CONFIG = `
accounts { SYS { users: [ {user: sys, password: sys} ] } }
authorization { users: [ {user: g, password: g} ] }
system_account: SYS
`;

/** Only the system account: nats-server lets clients without credentials into $G. */
const SYS_ONLY_CONFIG = `
accounts { SYS { users: [ {user: sys, password: sys} ] } }
system_account: SYS
`;

for (const kind of serverKinds()) {
  describe(`system account, global account and shutdown (${kind})`, () => {
    let dir;
    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), "tsnats-sys-edge-"));
      writeFileSync(path.join(dir, "edge.conf"), EDGE_CONFIG);
      writeFileSync(path.join(dir, "sys-only.conf"), SYS_ONLY_CONFIG);
      writeFileSync(path.join(dir, "sys-only-nau.conf"), `${SYS_ONLY_CONFIG}\nauthorization { timeout: 2 }\n`);
    });

    it("only a system account configured: clients without credentials still land in $G", async () => {
      const srv = await startChild(kind, ["-c", path.join(dir, "sys-only.conf")]);
      try {
        const anon = await connect({ port: srv.port, reconnect: false });
        // INFO still says auth is required (the hidden no_auth_user does not change that)
        assert.equal(anon.info.auth_required, true);
        const sys = await login(srv.port, "sys");
        const r = JSON.parse((await sys.request("$SYS.REQ.SERVER.PING.CONNZ", "")).string());
        assert.equal(r.data.num_connections, 2);
        // the anonymous client is not in the system account: it sees no $SYS traffic
        const seen = [];
        anon.subscribe(">", { callback: (_e, m) => seen.push(m.subject) });
        await anon.flush();
        await sys.request("$SYS.REQ.SERVER.PING.VARZ", "");
        await anon.flush();
        assert.deepEqual(seen, []);
        await assert.rejects(login(srv.port, "nobody"), /Authorization Violation/);
        await Promise.all([anon.close(), sys.close()]);
      } finally {
        await srv.stop();
      }
    });

    it("with an authorization block as well, clients without credentials are refused (2.10)", {
      skip: isOracle29(kind) && "2.9.10 lets them in too: 2.10 added the authorization-block condition",
    }, async () => {
      const srv = await startChild(kind, ["-c", path.join(dir, "sys-only-nau.conf")]);
      try {
        await assert.rejects(connect({ port: srv.port, reconnect: false }), /Authorization Violation/);
        const sys = await login(srv.port, "sys");
        await sys.close();
      } finally {
        await srv.stop();
      }
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("global account clients make no CONNECT or DISCONNECT events; shutdown is announced", async () => {
      const srv = await startChild(kind, ["-c", path.join(dir, "edge.conf")]);
      try {
        const sys = await login(srv.port, "sys");
        const id = sys.info.server_id;
        const acc = record(sys, "$SYS.ACCOUNT.>");
        const down = record(sys, "$SYS.SERVER.*.SHUTDOWN");
        await sys.flush();
        const g = await login(srv.port, "g");
        g.publish("x", "y");
        await g.close();
        // a system user's own reconnect is an event of the system account
        const sys2 = await login(srv.port, "sys");
        await sys2.close();
        await waitUntil(() => acc.some(([s]) => s === "$SYS.ACCOUNT.SYS.DISCONNECT"), "the system user's DISCONNECT");
        // nothing about the global account (2.9.10 still sent its connection counts; 2.10 does not)
        const aboutG = acc.filter(([s]) => s.includes(".$G.") && !(isOracle29(kind) && s.endsWith(".CONNS")));
        assert.deepEqual(aboutG, []);
        assert.ok(acc.some(([s]) => s === "$SYS.ACCOUNT.SYS.CONNECT"));
        const closed = sys.closed();
        await srv.stop();
        await closed;
        assert.equal(down.length, 1);
        assert.equal(down[0][0], `$SYS.SERVER.${id}.SHUTDOWN`);
        checkServerInfo(kind, down[0][1], id);
      } finally {
        await srv.stop();
      }
    });
  });
}

describe("system account (tsnats)", () => {
  it("no_system_account: no system services", async () => {
    const srv = await startEmbedded({ no_system_account: true });
    try {
      const nc = await connect({ port: srv.port, reconnect: false });
      await assert.rejects(nc.request("$SYS.REQ.SERVER.PING.CONNZ", "", { timeout: 1000 }), /no responders/i);
      assert.equal(srv.server.events, null);
      await nc.close();
    } finally {
      await srv.shutdown();
    }
  });

  it("events cost nothing while nobody subscribes: none is built", async () => {
    const srv = await startEmbedded({
      authorization: {
        users: [
          { user: "sys", password: "sys", account: "$SYS" },
          { user: "a", password: "a", account: "A" },
        ],
      },
    });
    try {
      const ev = srv.server.events;
      const sys = await login(srv.port, "sys");
      const churn = async () => {
        for (let i = 0; i < 5; i++) await (await login(srv.port, "a")).close();
      };
      await churn();
      assert.equal(ev.published, 0, "no CONNECT, DISCONNECT or CONNS built for nobody");
      const got = record(sys, "$SYS.ACCOUNT.A.CONNECT");
      await sys.flush();
      await churn();
      await waitUntil(() => got.length === 5, "5 CONNECT events");
      assert.equal(ev.published, 5, "only the subscribed CONNECT events");
      await sys.close();
    } finally {
      await srv.shutdown();
    }
  });

  it("a server without a system user still answers its global users' own CONNZ", async () => {
    const srv = await startEmbedded();
    try {
      const nc = await connect({ port: srv.port, reconnect: false, name: "g-own" });
      const r = await ask(nc, "$SYS.REQ.SERVER.PING.CONNZ");
      assert.deepEqual(
        r.data.connections.map((c) => c.name),
        ["g-own"],
      );
      await nc.close();
    } finally {
      await srv.shutdown();
    }
  });
});
