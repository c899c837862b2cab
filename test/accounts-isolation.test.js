// Account isolation through the official nats.js client (@nats-io/transport-node): users of
// accounts A and B and of the global account $G publish and subscribe on the same subjects and
// nothing crosses; `*` and `>` and queue groups stay inside their account; no_auth_user lands
// in its account. Run against Debian's nats-server and tsnats-server from the same config
// file, and against tsnats embedded with the same users as options (test/helpers/accounts.js).
//
// "Nothing crossed" is measured, not waited for: after the publishes every connection is
// flushed (publishers' PONGs mean the server has routed their messages), then every
// connection again (subscribers' PONGs come after whatever was routed to them).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, errors } from "@nats-io/transport-node";
import { ISOLATION, accountOf, isolationTargets, startAccountsServer } from "./helpers/accounts.js";
import { collect } from "./helpers/natsjs.js";

const dir = mkdtempSync(path.join(tmpdir(), "tsnats-acc-iso-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const N = 20;
/** The users of the fixture, plus "anon" (no credentials: no_auth_user a2, account A). */
const USERS = ["a1", "a2", "b1", "b2", "g1", "anon"];
const PASS = { a1: "pa1", a2: "pa2", b1: "pb1", b2: "pb2", g1: "pg1" };
const acct = (u) => (u === "anon" ? accountOf(ISOLATION, ISOLATION.noAuthUser) : accountOf(ISOLATION, u));

/** Publish n messages whose payload names the publisher's account: "<acct>:<user>:<i>". */
function publishN(nc, user, subject, n = N) {
  for (let i = 0; i < n; i++) nc.publish(subject, `${acct(user)}:${user}:${i}`);
}

/** Count the messages of a collector by the account named in their payload. */
function byAccount(msgs) {
  const t = {};
  for (const m of msgs) {
    const a = m.string().split(":")[0];
    t[a] = (t[a] ?? 0) + 1;
  }
  return t;
}

for (const target of isolationTargets()) {
  describe(`account isolation with nats.js [${target}]`, () => {
    let server;
    /** user -> NatsConnection */
    const nc = {};

    /** Flush every connection twice: first every publish is routed, then every delivery is in. */
    async function settle() {
      for (let round = 0; round < 2; round++) for (const u of USERS) await nc[u].flush();
    }

    before(async () => {
      server = await startAccountsServer(target, ISOLATION, dir);
      for (const u of USERS) {
        const creds = u === "anon" ? {} : { user: u, pass: PASS[u] };
        nc[u] = await connect({ servers: server.url, reconnect: false, timeout: 3000, ...creds });
      }
    });

    after(async () => {
      for (const u of USERS) await nc[u]?.close();
      await server?.stop();
    });

    /** Subscribers a1, b1, g1 on `sub`; a2, b2, g1 publish N each on `pub`: each sees its own N. */
    async function threeWay(sub, pub) {
      const got = { a1: collect(nc.a1, sub), b1: collect(nc.b1, sub), g1: collect(nc.g1, sub) };
      await settle();
      publishN(nc.a2, "a2", pub);
      publishN(nc.b2, "b2", pub);
      publishN(nc.g1, "g1", pub);
      await settle();
      for (const s of Object.values(got)) s.sub.unsubscribe();
      assert.deepEqual(byAccount(got.a1.msgs), { A: N }, "a1 (A) gets A's messages only");
      assert.deepEqual(byAccount(got.b1.msgs), { B: N }, "b1 (B) gets B's messages only");
      assert.deepEqual(byAccount(got.g1.msgs), { $G: N }, "g1 ($G) gets $G's messages only");
    }

    it("the same subject in two accounts and $G never crosses", () => threeWay("iso.foo", "iso.foo"));

    it("a * wildcard sees its own account only", () => threeWay("iso.*", "iso.bar"));

    it("a > wildcard sees its own account only", () => threeWay(">", "iso.deep.sub.ject"));

    it("a queue group named the same in A and B gets each account's messages, once each", async () => {
      const members = ["a1", "a2", "b1", "b2"].map((u) => ({ u, c: collect(nc[u], "iso.work", { queue: "workers" }) }));
      // a plain subscriber next to the group in each account gets its own copy
      const plain = { a1: collect(nc.a1, "iso.work"), b1: collect(nc.b1, "iso.work") };
      await settle();
      publishN(nc.anon, "anon", "iso.work", 100);
      publishN(nc.b2, "b2", "iso.work", 100);
      publishN(nc.g1, "g1", "iso.work", 100);
      await settle();
      for (const m of members) m.c.sub.unsubscribe();
      for (const s of Object.values(plain)) s.sub.unsubscribe();
      for (const name of ["A", "B"]) {
        const msgs = members.filter((m) => acct(m.u) === name).flatMap((m) => m.c.msgs);
        assert.deepEqual(byAccount(msgs), { [name]: 100 }, `the group in ${name} gets ${name}'s messages only`);
        assert.equal(new Set(msgs.map((m) => m.string())).size, 100, `each of ${name}'s messages once`);
      }
      assert.deepEqual(byAccount(plain.a1.msgs), { A: 100 });
      assert.deepEqual(byAccount(plain.b1.msgs), { B: 100 });
    });

    it("a service in A answers A's requests; B and $G find no responders", async () => {
      const svc = nc.a1.subscribe("iso.svc", { callback: (_e, m) => m.respond("from-A") });
      await settle();
      try {
        for (const u of ["a2", "anon"]) {
          const r = await nc[u].request("iso.svc", "ping", { timeout: 2000 });
          assert.equal(r.string(), "from-A", `${u} is in A`);
        }
        for (const u of ["b2", "g1"]) {
          await assert.rejects(
            nc[u].request("iso.svc", "ping", { timeout: 2000 }),
            (e) => e instanceof errors.NoRespondersError || e?.cause instanceof errors.NoRespondersError,
            `${u} (${acct(u)}) finds no responders`,
          );
        }
      } finally {
        svc.unsubscribe();
      }
    });

    it("a client without credentials is no_auth_user's, in account A", async () => {
      const got = collect(nc.anon, "iso.nau");
      const a2 = collect(nc.a2, "iso.nau");
      await settle();
      publishN(nc.a1, "a1", "iso.nau");
      publishN(nc.b1, "b1", "iso.nau");
      publishN(nc.g1, "g1", "iso.nau");
      // and what it publishes reaches A (a2, the very user it is) and no one else
      publishN(nc.anon, "anon", "iso.nau");
      await settle();
      got.sub.unsubscribe();
      a2.sub.unsubscribe();
      assert.deepEqual(byAccount(got.msgs), { A: 2 * N });
      assert.deepEqual(byAccount(a2.msgs), { A: 2 * N });
    });

    it("$G users see no account traffic, and accounts see no $G traffic", async () => {
      const g = collect(nc.g1, ">");
      const a = collect(nc.a1, ">");
      const b = collect(nc.b1, ">");
      await settle();
      for (const u of ["a2", "b2", "anon"]) publishN(nc[u], u, `iso.${u}`);
      publishN(nc.g1, "g1", "iso.g");
      await settle();
      for (const s of [g, a, b]) s.sub.unsubscribe();
      assert.deepEqual(byAccount(g.msgs), { $G: N });
      assert.deepEqual(byAccount(a.msgs), { A: 2 * N });
      assert.deepEqual(byAccount(b.msgs), { B: N });
    });
  });
}
