// Stream and service exports/imports between accounts (issue 15), through nats.js, with the
// same assertions against Debian's nats-server and tsnats-server started from the same
// config file; start-time refusals compared with `nats-server -t`.
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { connect, createInbox, headers as natsHeaders } from "@nats-io/transport-node";
import { runServerToExit, serverKinds, startServer } from "./helpers/servers.js";
import { assertSameCheck, oracleCheck, tsnatsCheck } from "./helpers/config-oracle.js";
import { waitUntil } from "./helpers/wait.js";
import { collect } from "./helpers/natsjs.js";
import { startServer as startEmbedded } from "../dist/server/embed.js";

const kinds = serverKinds();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(path.join(os.tmpdir(), "tsnats-imports-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function conf(name, text) {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

const MAIN = conf(
  "main.conf",
  `
accounts {
  A: {
    users: [
      {user: a, password: a}
      {user: ar, password: ar, permissions: {publish: {deny: ">"}, subscribe: {allow: ">"}, allow_responses: true}}
    ]
    exports: [
      {stream: "ev.>"}
      {stream: "lit"}
      {stream: "w.*.x"}
      {stream: "priv.>", accounts: [C]}
      {service: "svc.*"}
      {service: "loopsvc"}
      {service: "many", response_type: stream}
      {service: "chunks", response_type: chunked}
      {service: "slow", response_threshold: "300ms"}
      {service: "slowstream", response_type: stream, response_threshold: "300ms"}
      {service: "guarded"}
      {service: "ev.req"}
      {service: "msvc"}
    ]
    mappings: {"msvc": "svc.viamap"}
  }
  B: {
    users: [{user: b, password: b}]
    imports: [
      {stream: {account: A, subject: "ev.>"}, prefix: "a"}
      {stream: {account: A, subject: "lit"}, to: "local.lit"}
      {stream: {account: A, subject: "w.*.x"}, to: "r.$1"}
      {stream: {account: C, subject: "cpub"}}
      {service: {account: A, subject: "svc.*"}, to: "asvc.*"}
      {service: {account: A, subject: "loopsvc"}, to: "a.ev.loop"}
      {service: {account: A, subject: "many"}}
      {service: {account: A, subject: "chunks"}}
      {service: {account: A, subject: "slow"}}
      {service: {account: A, subject: "slowstream"}}
      {service: {account: A, subject: "guarded"}}
      {service: {account: A, subject: "msvc"}}
    ]
  }
  C: {
    users: [{user: c, password: c}]
    exports: [{stream: "cpub"}]
    imports: [{stream: {account: A, subject: "priv.>"}}, {service: {account: A, subject: "ev.req"}}]
  }
}
`,
);

const REPLY_RE = /^_R_\.[0-9A-Za-z]{6}\.[0-9A-Za-z]{6}$/;

/**
 * A service of `a` on `subject` answers each request with `responses`, one message each; `b`
 * sends one request on `asked` (its import of it) and gets, on its own inbox, what has arrived
 * once `min` responses have (`what`, for the timeout) and `quietMs` more have passed.
 */
async function responsesThroughImport(a, b, { subject, asked = subject, responses, min, what, quietMs }) {
  a.subscribe(subject, {
    callback: (_e, m) => {
      for (const r of responses) m.respond(r);
    },
  });
  await a.flush();
  const inbox = createInbox();
  const got = collect(b, inbox);
  await b.flush();
  b.publish(asked, "", { reply: inbox });
  await waitUntil(() => got.msgs.length >= min, what);
  await sleep(quietMs);
  return got.msgs.map((m) => m.string());
}

for (const kind of kinds) {
  describe(`exports and imports [${kind}]`, () => {
    let srv;
    const conns = [];
    async function conn(user) {
      const nc = await connect({ servers: srv.url, user, pass: user, reconnect: false, timeout: 3000 });
      conns.push(nc);
      return nc;
    }
    before(async () => {
      srv = await startServer(kind, ["-c", MAIN]);
    });
    after(async () => {
      await srv?.stop();
    });
    afterEach(async () => {
      for (const nc of conns.splice(0)) if (!nc.isClosed()) await nc.close().catch(() => {});
    });

    it("stream import with a prefix: the exporter's messages arrive prefixed, nothing else crosses", async () => {
      const a = await conn("a");
      const b = await conn("b");
      const pre = collect(b, "a.ev.>");
      const bare = collect(b, "ev.>");
      const back = collect(a, "a.ev.>");
      await b.flush();
      await a.flush();
      a.publish("ev.x.y", "1");
      a.publish("other", "2");
      b.publish("ev.from.b", "3");
      await waitUntil(() => pre.msgs.length >= 1, "the prefixed message");
      await sleep(100);
      assert.deepEqual(
        pre.msgs.map((m) => [m.subject, m.string()]),
        [["a.ev.x.y", "1"]],
      );
      // B's own publish on ev.> is B's, and A never sees B's subjects
      assert.deepEqual(
        bare.msgs.map((m) => m.subject),
        ["ev.from.b"],
      );
      assert.equal(back.msgs.length, 0);
    });

    it("stream import with `to`: a literal and a wildcard remapping", async () => {
      const a = await conn("a");
      const b = await conn("b");
      const lit = collect(b, "local.lit");
      const r = collect(b, "r.*");
      await b.flush();
      a.publish("lit", "L");
      a.publish("w.k.x", "W");
      a.publish("w.k.y", "no");
      await waitUntil(() => lit.msgs.length >= 1 && r.msgs.length >= 1, "the remapped messages");
      await sleep(100);
      assert.deepEqual(
        lit.msgs.map((m) => [m.subject, m.string()]),
        [["local.lit", "L"]],
      );
      assert.deepEqual(
        r.msgs.map((m) => [m.subject, m.string()]),
        [["r.k", "W"]],
      );
    });

    it("wildcard subscriptions in the importer see imports; one copy per queue group", async () => {
      const a = await conn("a");
      const b = await conn("b");
      const all = collect(b, ">");
      const part = collect(b, "a.*.k");
      const q1 = collect(b, "a.ev.q", { queue: "g" });
      const q2 = collect(b, "a.ev.q", { queue: "g" });
      const plain = collect(b, "a.ev.q");
      await b.flush();
      const n = 40;
      for (let i = 0; i < n; i++) a.publish("ev.q", String(i));
      a.publish("ev.k", "k");
      await waitUntil(() => plain.msgs.length === n && part.msgs.length === 1, "the deliveries");
      await waitUntil(() => q1.msgs.length + q2.msgs.length === n, "the queue deliveries");
      await sleep(100);
      assert.equal(q1.msgs.length + q2.msgs.length, n, "exactly one copy per message to the group");
      assert.equal(all.msgs.length, n + 1);
      assert.ok(all.msgs.every((m) => m.subject.startsWith("a.ev.")));
      assert.deepEqual(
        part.msgs.map((m) => m.subject),
        ["a.ev.k"],
      );
    });

    it("a private export reaches the account listed; a chain of stream imports does not forward", async () => {
      const a = await conn("a");
      const c = await conn("c");
      const b = await conn("b");
      const got = collect(c, "priv.>");
      const bc = collect(b, "cpub");
      const bp = collect(b, "priv.>");
      await c.flush();
      await b.flush();
      a.publish("priv.k", "p");
      c.publish("cpub", "from c");
      await waitUntil(() => got.msgs.length >= 1 && bc.msgs.length >= 1, "the private and C's messages");
      await sleep(100);
      assert.deepEqual(
        got.msgs.map((m) => m.subject),
        ["priv.k"],
      );
      assert.deepEqual(
        bc.msgs.map((m) => m.string()),
        ["from c"],
      );
      assert.equal(bp.msgs.length, 0, "B imports nothing of priv.>");
    });

    it("service import: a request crosses with a _R_ reply, the client info header, and the reply comes back", async () => {
      const a = await conn("a");
      const b = await conn("b");
      const seen = [];
      a.subscribe("svc.*", {
        callback: (_e, m) => {
          seen.push({ subject: m.subject, reply: m.reply, info: m.headers?.get("Nats-Request-Info") });
          m.respond(`pong:${m.subject}:${m.string()}`);
        },
      });
      await a.flush();
      const r = await b.request("asvc.ping", "hi", { timeout: 2000 });
      assert.equal(r.string(), "pong:svc.ping:hi");
      assert.equal(seen.length, 1);
      assert.equal(seen[0].subject, "svc.ping");
      assert.match(seen[0].reply, REPLY_RE);
      const info = JSON.parse(seen[0].info);
      assert.equal(info.acc, "B");
      // the requester's own subject is not a subject of A
      const direct = collect(a, "asvc.>");
      await a.flush();
      await b.request("asvc.three", "", { timeout: 2000 });
      await sleep(50);
      assert.equal(direct.msgs.length, 0);
    });

    it("the exporter's mappings apply to a request crossing into it", async () => {
      const a = await conn("a");
      const b = await conn("b");
      const seen = [];
      a.subscribe("svc.*", {
        callback: (_e, m) => {
          seen.push(m.subject);
          m.respond("mapped ok");
        },
      });
      await a.flush();
      const r = await b.request("msvc", "", { timeout: 2000 });
      assert.equal(r.string(), "mapped ok");
      assert.deepEqual(seen, ["svc.viamap"]);
    });

    it("the request keeps its own headers", async () => {
      const a = await conn("a");
      const b = await conn("b");
      let hdrs = null;
      a.subscribe("svc.h", {
        max: 1,
        callback: (_e, m) => {
          hdrs = m.headers;
          m.respond("ok");
        },
      });
      await a.flush();
      const h = natsHeaders();
      h.set("X-Mine", "v");
      await b.request("asvc.h", "x", { timeout: 2000, headers: h });
      assert.equal(hdrs.get("X-Mine"), "v");
      assert.equal(JSON.parse(hdrs.get("Nats-Request-Info")).acc, "B");
    });

    it("singleton: only the first response is delivered", async () => {
      const a = await conn("a");
      const b = await conn("b");
      const got = await responsesThroughImport(a, b, {
        subject: "svc.single",
        asked: "asvc.single",
        responses: ["one", "two"],
        min: 1,
        what: "the first response",
        quietMs: 200,
      });
      assert.deepEqual(got, ["one"]);
    });

    it("stream: every response is delivered", async () => {
      const a = await conn("a");
      const b = await conn("b");
      const got = await responsesThroughImport(a, b, {
        subject: "many",
        responses: ["1", "2", "3"],
        min: 3,
        what: "three responses",
        quietMs: 100,
      });
      assert.deepEqual(got, ["1", "2", "3"]);
    });

    it("chunked: chunks until an empty message, nothing after it", async () => {
      const a = await conn("a");
      const b = await conn("b");
      const got = await responsesThroughImport(a, b, {
        subject: "chunks",
        responses: ["a", "b", "", "late"],
        min: 3,
        what: "the chunks",
        quietMs: 200,
      });
      assert.deepEqual(got, ["a", "b", ""]);
    });

    it("response_threshold: a response later than the threshold is dropped, an early one is not", async () => {
      const a = await conn("a");
      const b = await conn("b");
      a.subscribe("slow", {
        callback: (_e, m) => {
          const delay = Number(m.string());
          setTimeout(() => m.respond(`after ${delay}`), delay);
        },
      });
      a.subscribe("slowstream", {
        callback: (_e, m) => {
          m.respond("early");
          setTimeout(() => m.respond("late"), 1000);
        },
      });
      await a.flush();
      const r = await b.request("slow", "20", { timeout: 2000 });
      assert.equal(r.string(), "after 20");
      const inbox = createInbox();
      const got = collect(b, inbox);
      await b.flush();
      b.publish("slow", "1000", { reply: inbox });
      b.publish("slowstream", "", { reply: inbox });
      await sleep(1500);
      assert.deepEqual(
        got.msgs.map((m) => m.string()),
        ["early"],
      );
    });

    it("a requester that stops listening on its reply loses the pending response", async () => {
      const a = await conn("a");
      const b = await conn("b");
      a.subscribe("svc.late", {
        callback: (_e, m) => {
          setTimeout(() => m.respond("too late"), 300);
        },
      });
      a.subscribe("svc.kept", {
        callback: (_e, m) => {
          setTimeout(() => m.respond("kept"), 300);
        },
      });
      await a.flush();
      // the first reply subscription goes away (and a new one comes) before the response
      const first = b.subscribe("rr.gone");
      const kept = collect(b, "rr.kept");
      await b.flush();
      b.publish("asvc.late", "", { reply: "rr.gone" });
      b.publish("asvc.kept", "", { reply: "rr.kept" });
      await b.flush();
      first.unsubscribe();
      await b.flush();
      const again = collect(b, "rr.gone");
      await b.flush();
      await waitUntil(() => kept.msgs.length === 1, "the response to the requester still listening");
      await sleep(150);
      assert.equal(again.msgs.length, 0, "the mapping went with the last subscription on its reply");
    });

    it("allow_responses works for a responder inside the exporting account", async () => {
      const ar = await conn("ar");
      const b = await conn("b");
      ar.subscribe("guarded", { callback: (_e, m) => m.respond("guarded ok") });
      await ar.flush();
      const r = await b.request("guarded", "", { timeout: 2000 });
      assert.equal(r.string(), "guarded ok");
    });

    it("a request that came over a service import is not passed on to stream imports", async () => {
      const a = await conn("a");
      const b = await conn("b");
      const c = await conn("c");
      a.subscribe("ev.req", { callback: (_e, m) => m.respond("answered") });
      await a.flush();
      const leak = collect(b, "a.ev.>");
      await b.flush();
      const r = await c.request("ev.req", "q", { timeout: 2000 });
      assert.equal(r.string(), "answered");
      // the same subject published in A itself does reach B's stream import
      a.publish("ev.req", "plain");
      await waitUntil(() => leak.msgs.length >= 1, "A's own publish");
      await sleep(100);
      assert.deepEqual(
        leak.msgs.map((m) => m.string()),
        ["plain"],
      );
    });

    it("a stream-imported message does not trigger the importer's service imports (no loop)", async () => {
      const a = await conn("a");
      const b = await conn("b");
      const svc = collect(a, "loopsvc");
      const sub = collect(b, "a.ev.loop");
      await a.flush();
      await b.flush();
      a.publish("ev.loop", "x");
      await waitUntil(() => sub.msgs.length >= 1, "the imported message");
      // the same subject published by B does go through the service import
      b.publish("a.ev.loop", "from b");
      await waitUntil(() => svc.msgs.length >= 1, "the service request");
      await sleep(150);
      // 2.10 gives service import subscriptions no shadow (client.go addShadowSubscriptions:
      // "If this is from a service import, ignore"); the 2.9 oracle still does, so there the
      // imported message goes on through B's service import into A again
      const v29 = b.info.version.startsWith("2.9.");
      assert.deepEqual(
        svc.msgs.map((m) => m.string()),
        v29 ? ["x", "from b"] : ["from b"],
      );
      assert.deepEqual(
        sub.msgs.map((m) => m.string()),
        ["x", "from b"],
      );
    });
  });
}

const REFUSED = [
  [
    "a private export refused to an account not listed",
    `accounts {
  A: { exports: [{stream: "priv.>", accounts: [C]}, {service: "psvc", accounts: [C]}] }
  B: { imports: [{stream: {account: A, subject: "priv.>"}}, {service: {account: A, subject: "psvc"}}] }
  C: {}
}`,
  ],
  [
    "an import of a subject not exported",
    `accounts {
  A: { exports: [{stream: "ev.>"}] }
  B: { imports: [{stream: {account: A, subject: "nope"}}, {service: {account: A, subject: "ev.x"}}] }
}`,
  ],
  [
    "an unknown account",
    `accounts {
  A: { exports: [{stream: "x", accounts: [Z]}] }
  B: { imports: [{stream: {account: Y, subject: "x"}}, {service: {account: W, subject: "y"}}] }
}`,
  ],
  [
    "a stream import cycle",
    `accounts {
  A: { exports: [{stream: "foo"}], imports: [{stream: {account: B, subject: "foo"}}] }
  B: { exports: [{stream: "foo"}], imports: [{stream: {account: A, subject: "foo"}}] }
}`,
  ],
  [
    "a service import cycle",
    `accounts {
  A: { exports: [{service: "foo"}], imports: [{service: {account: B, subject: "foo"}}] }
  B: { exports: [{service: "foo"}], imports: [{service: {account: A, subject: "foo"}}] }
}`,
  ],
  [
    "a wildcard stream prefix",
    `accounts {
  A: { exports: [{stream: "foo"}] }
  B: { imports: [{stream: {account: A, subject: "foo"}, prefix: "p.*"}] }
}`,
  ],
];

describe("exports and imports refused at start-up (nats-server -t is the oracle)", () => {
  for (const [what, text] of REFUSED) {
    it(what, async () => {
      const f = conf(`refused-${what.replace(/\W+/g, "-")}.conf`, text);
      const want = await oracleCheck(f);
      assert.notEqual(want, "", "nats-server refuses it");
      assertSameCheck(f, want, tsnatsCheck(f));
      for (const kind of kinds) {
        const r = await runServerToExit(kind, ["-a", "127.0.0.1", "-p", "-1", "-c", f]);
        const out = r.stdout + r.stderr;
        assert.equal(r.code, 1, `${kind} exits 1:\n${out}`);
        const first = want.split("\n")[0];
        assert.ok(out.includes(first.replace(/^.*?:\d+:\d+: /, "")), `${kind}: ${out}`);
      }
    });
  }
});

describe("an import transform 2.10 refuses (the 2.9 oracle words it without 'from')", () => {
  it("a wildcard remapping that drops a wildcard, stream and service", async () => {
    const f = conf(
      "refused-transform.conf",
      `accounts {
  A: { exports: [{stream: "w.*.*"}, {service: "s.*.*"}] }
  B: { imports: [{stream: {account: A, subject: "w.*.*"}, to: "r.$1"}, {service: {account: A, subject: "s.*.*"}, to: "t.*"}] }
}`,
    );
    const oracle = await oracleCheck(f);
    const want = oracle.replace(
      /mapping transform for (stream|service) import subject "/g,
      'mapping transform for $1 import subject from "',
    );
    assertSameCheck(f, want, tsnatsCheck(f));
    assert.match(
      tsnatsCheck(f),
      /Error adding stream import "w\.\*\.\*": failed to create mapping transform for stream import subject from "w\.\*\.\*" to "r\.\$1": invalid mapping destination: not using all of the token wildcard\(s\) in r\.\$1/,
    );
  });
});

// The server rebuilds exports and imports in place (Server.applyAccountOptions, which reload
// runs): clients stay connected, existing subscriptions are shadowed again, a second identical
// build changes nothing, and a refused one changes nothing either.
describe("exports and imports rebuilt live [tsnats, in process]", () => {
  const users = [
    { user: "a", password: "a", account: "A" },
    { user: "b", password: "b", account: "B" },
  ];
  const acc = (name, exports = [], imports = []) => ({ name, exports, imports, mappings: [] });
  const before = [
    acc("A", [{ stream: "ev.>" }, { service: "svc" }]),
    acc("B", [], [{ stream: { account: "A", subject: "ev.>" }, prefix: "a" }]),
  ];
  const afterCfg = [
    acc("A", [{ stream: "ev.>" }, { service: "svc" }]),
    acc(
      "B",
      [],
      [
        { stream: { account: "A", subject: "ev.>" }, prefix: "x" },
        { service: { account: "A", subject: "svc" }, to: "bsvc" },
      ],
    ),
  ];
  let emb;
  const conns = [];
  after(async () => {
    for (const nc of conns) await nc.close().catch(() => {});
    await emb?.shutdown();
  });

  it("swaps a prefix and adds a service import while clients run", async () => {
    emb = await startEmbedded({ host: "127.0.0.1", port: -1, accounts: before, authorization: { users } });
    const srv = emb.server;
    assert.equal(srv.lookupAccount("$G").imports, null, "an account without imports has no import state");
    const a = await connect({ servers: emb.url, user: "a", pass: "a", reconnect: false });
    const b = await connect({ servers: emb.url, user: "b", pass: "b", reconnect: false });
    conns.push(a, b);
    const oldp = collect(b, "a.ev.>");
    const newp = collect(b, "x.ev.>");
    await b.flush();
    a.publish("ev.1", "1");
    await waitUntil(() => oldp.msgs.length === 1, "the message under the old prefix");

    // an import the server makes itself (no export needed) survives rebuilds from the config
    srv.lookupAccount("B").addServiceImport(srv.lookupAccount("A"), "own.svc", "hidden", true);
    assert.throws(
      () => srv.lookupAccount("B").addServiceImport(srv.lookupAccount("A"), "other", "hidden"),
      /^Error: service import not authorized$/,
    );
    srv.applyAccountOptions({ ...srv.opts, accounts: afterCfg });
    srv.applyAccountOptions({ ...srv.opts, accounts: afterCfg });
    a.subscribe("svc", { callback: (_e, m) => m.respond("served") });
    a.subscribe("hidden", { callback: (_e, m) => m.respond("hidden served") });
    await a.flush();
    a.publish("ev.2", "2");
    await waitUntil(() => newp.msgs.length === 1, "the message under the new prefix");
    const r = await b.request("bsvc", "", { timeout: 2000 });
    assert.equal(r.string(), "served");
    assert.equal((await b.request("own.svc", "", { timeout: 2000 })).string(), "hidden served");
    await sleep(100);
    assert.deepEqual(
      oldp.msgs.map((m) => m.string()),
      ["1"],
      "the old import is gone",
    );
    assert.deepEqual(
      newp.msgs.map((m) => m.string()),
      ["2"],
      "one copy after two identical rebuilds",
    );

    // a refused config throws nats-server's text and leaves the working imports alone
    const bad = [acc("A"), acc("B", [], [{ stream: { account: "A", subject: "ev.>" } }])];
    assert.throws(
      () => srv.applyAccountOptions({ ...srv.opts, accounts: bad }),
      /^Error: Error adding stream import "ev\.>": stream import not authorized$/,
    );
    a.publish("ev.3", "3");
    await waitUntil(() => newp.msgs.length === 2, "the import still working");
    assert.ok(!a.isClosed() && !b.isClosed());
    assert.equal(a.info.client_id, (await a.flush(), a.info.client_id), "no reconnect");
  });
});

// Reload (config file rewritten, then SIGHUP) changes imports while clients run, on both servers:
// a prefix swapped, a service import added, a subscription made before the reload sees the new
// import without resubscribing.
const reloadConf = (prefix, withService) => `
accounts {
  A: { users: [{user: a, password: a}], exports: [{stream: "ev.>"}, {service: "svc"}] }
  B: {
    users: [{user: b, password: b}]
    imports: [
      {stream: {account: A, subject: "ev.>"}, prefix: "${prefix}"}
      ${withService ? '{service: {account: A, subject: "svc"}, to: "bsvc"}' : ""}
    ]
  }
}
`;

for (const kind of kinds) {
  describe(`exports and imports change on reload [${kind}]`, () => {
    let srv;
    const conns = [];
    after(async () => {
      for (const nc of conns) await nc.close().catch(() => {});
      await srv?.stop();
    });

    it("swaps a prefix and adds a service import; clients stay", async () => {
      const f = conf(`reload-${kind}.conf`, reloadConf("p1", false));
      srv = await startServer(kind, ["-c", f]);
      const a = await connect({ servers: srv.url, user: "a", pass: "a", reconnect: false });
      const b = await connect({ servers: srv.url, user: "b", pass: "b", reconnect: false });
      conns.push(a, b);
      const p1 = collect(b, "p1.ev.>");
      const p2 = collect(b, "p2.ev.>");
      await b.flush();
      a.publish("ev.1", "1");
      await waitUntil(() => p1.msgs.length === 1, "the message under p1");
      await assert.rejects(b.request("bsvc", "", { timeout: 300 }), "no service import yet");

      writeFileSync(f, reloadConf("p2", true));
      const seen = srv.output().length;
      srv.proc.kill("SIGHUP");
      await waitUntil(() => /Reloaded server configuration/.test(srv.output().slice(seen)), "the reload", 5000);
      a.subscribe("svc", { callback: (_e, m) => m.respond("served") });
      await a.flush();
      a.publish("ev.2", "2");
      await waitUntil(() => p2.msgs.length === 1, "the message under p2");
      assert.equal((await b.request("bsvc", "", { timeout: 2000 })).string(), "served");
      await sleep(100);
      assert.deepEqual(
        p1.msgs.map((m) => m.string()),
        ["1"],
      );
      assert.deepEqual(
        p2.msgs.map((m) => m.string()),
        ["2"],
      );
      assert.ok(!a.isClosed() && !b.isClosed(), "clients stay connected");
    });
  });
}

// Wildcards on both sides: every subscription pattern below in the importers against every
// subject published in the exporter, through prefix, literal `to`, wildcard `to` (a swap of two
// wildcards) and same-subject imports. The deliveries (which subscription got which subject)
// must be the same on both servers.
const MATRIX_CONF = conf(
  "matrix.conf",
  `
accounts {
  A: {
    users: [{user: a, password: a}]
    exports: [{stream: "ev.>"}, {stream: "w.*.x"}, {stream: "lit"}, {stream: "t.*.*"}]
  }
  B: {
    users: [{user: b, password: b}]
    imports: [
      {stream: {account: A, subject: "ev.>"}, prefix: "p"}
      {stream: {account: A, subject: "w.*.x"}, to: "r.$1"}
      {stream: {account: A, subject: "lit"}, to: "l.lit"}
      {stream: {account: A, subject: "t.*.*"}, to: "tt.$2.$1"}
    ]
  }
  C: {
    users: [{user: c, password: c}]
    imports: [{stream: {account: A, subject: "ev.>"}}, {stream: {account: A, subject: "t.*.*"}}]
  }
}
`,
);
const B_SUBS = [
  ">",
  "p.>",
  "p.ev.*",
  "p.*.a",
  "p.ev.a",
  "*.ev.>",
  "r.*",
  "r.k",
  "l.lit",
  "l.*",
  "tt.*.*",
  "tt.b.*",
  "tt.>",
  "*.*.*",
];
const C_SUBS = [">", "ev.*", "ev.a", "*.a", "ev.a.>", "t.*.b", "t.>"];
const PUBS = ["ev.a", "ev.b", "ev.a.b", "w.k.x", "w.k.y", "lit", "t.a.b", "t.c.d", "other"];
const matrix = {};

for (const kind of kinds) {
  describe(`import wildcards matrix [${kind}]`, () => {
    let srv;
    after(async () => {
      await srv?.stop();
    });
    it("records who gets what", async () => {
      srv = await startServer(kind, ["-c", MATRIX_CONF]);
      const ncs = [];
      try {
        const a = await connect({ servers: srv.url, user: "a", pass: "a", reconnect: false });
        const b = await connect({ servers: srv.url, user: "b", pass: "b", reconnect: false });
        const c = await connect({ servers: srv.url, user: "c", pass: "c", reconnect: false });
        ncs.push(a, b, c);
        const got = [];
        for (const [nc, name, subs] of [
          [b, "B", B_SUBS],
          [c, "C", C_SUBS],
        ]) {
          for (const s of subs) nc.subscribe(s, { callback: (_e, m) => got.push(`${name} ${s} <- ${m.subject}`) });
          await nc.flush();
        }
        for (const p of PUBS) a.publish(p, "");
        // a marker after everything: once it is in, the rest is too (one connection, in order)
        a.publish("ev.done", "");
        await waitUntil(() => got.some((g) => g === "C > <- ev.done"), "the marker");
        await sleep(50);
        matrix[kind] = got.filter((g) => !g.endsWith("ev.done")).sort();
        // spot checks: the wildcard swap, a subscription narrower than the import, the prefix
        for (const want of ["B tt.b.* <- tt.b.a", "B r.k <- r.k", "B p.*.a <- p.ev.a", "C t.*.b <- t.a.b"]) {
          assert.ok(matrix[kind].includes(want), want);
        }
        assert.ok(matrix[kind].length > 30, `deliveries: ${matrix[kind].length}`);
      } finally {
        for (const nc of ncs) await nc.close().catch(() => {});
      }
    });
  });
}

describe("import wildcards matrix: both servers agree", () => {
  it("the same deliveries", { skip: kinds.length < 2 && "needs both servers" }, () => {
    assert.deepEqual(matrix.tsnats, matrix["nats-server"]);
  });
});
