// Reload of accounts, as nats-server's reload does it: accounts always count as changed; a new
// account and a new user are usable as soon as the reload is done (and isolated); a client
// whose user was removed, or moved to another account, or whose account was removed, is
// closed ("Client Closed", no -ERR); clients of untouched accounts keep working and lose
// nothing. Run against Debian's nats-server and tsnats-server (the config file rewritten,
// then SIGHUP) and against tsnats embedded (Server.reload with the same users as options).
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, errors, nkeyAuthenticator } from "@nats-io/transport-node";
import { createUser } from "@nats-io/nkeys";
import { isolationTargets, startAccountsServer } from "./helpers/accounts.js";
import { collect } from "./helpers/natsjs.js";
import { waitUntil } from "./helpers/wait.js";

const dir = mkdtempSync(path.join(tmpdir(), "tsnats-acc-reload-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const PASS = { a1: "pa1", a2: "pa2", a3: "pa3", b1: "pb1", b2: "pb2", c1: "pc1", g1: "pg1", g2: "pg2" };
const u = (name) => [name, PASS[name]];

// the configurations the server goes through, in order
const START = { accounts: { A: [u("a1"), u("a2")], B: [u("b1"), u("b2")] }, global: [u("g1"), u("g2")] };
const ADDED = {
  accounts: { A: [u("a1"), u("a2"), u("a3")], B: [u("b1"), u("b2")], C: [u("c1")] },
  global: [u("g1"), u("g2")],
};
const USER_REMOVED = {
  accounts: { A: [u("a1"), u("a2"), u("a3")], B: [u("b1")], C: [u("c1")] },
  global: [u("g1"), u("g2")],
};
const ACCOUNT_REMOVED = {
  accounts: { A: [u("a1"), u("a2")], C: [u("c1"), u("a3")] },
  global: [u("g1"), u("g2")],
};

/** Each connection's client id (nc.info is gone once it is closed). */
const cids = new WeakMap();

async function login(srv, user) {
  const nc = await connect({ servers: srv.url, user, pass: PASS[user], reconnect: false, timeout: 3000 });
  cids.set(nc, nc.info.client_id);
  return nc;
}

async function assertRefused(srv, user) {
  await assert.rejects(
    login(srv, user).then((nc) => nc.close()),
    (e) => e instanceof errors.AuthorizationError,
    `${user} is refused`,
  );
}

/**
 * Numbered messages from `pub` to `sub` on `subject` every few ms until finish(), which checks
 * that every one arrived, once and in order, and nothing else did.
 */
async function traffic(pub, sub, subject) {
  const got = collect(sub, subject);
  await sub.flush();
  let sent = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop && !pub.isClosed()) {
      for (let i = 0; i < 5; i++) pub.publish(subject, String(sent++));
      await sleep(5);
    }
  })();
  return {
    got,
    async finish() {
      // traffic spans every reload and runs a while past the last one
      await waitUntil(() => sent >= 300, `${subject}: traffic to run a while`, 10000);
      stop = true;
      await loop;
      await pub.flush();
      await sub.flush();
      const seq = got.msgs.map((m) => m.string());
      assert.equal(seq.length, sent, `${subject}: received ${seq.length} of ${sent}`);
      for (let i = 0; i < seq.length; i++)
        if (seq[i] !== String(i)) assert.fail(`${subject}: message ${i} arrived as ${seq[i]}`);
    },
  };
}

/** The reason /connz?state=closed gives for a connection. */
async function closedReason(srv, cid) {
  const r = await fetch(`${srv.monitorUrl}/connz?state=closed&cid=${cid}`);
  const body = await r.json();
  return body.connections?.[0]?.reason;
}

/** The configured accounts /accountz lists (the global and system accounts left out). */
async function listedAccounts(srv) {
  const r = await fetch(`${srv.monitorUrl}/accountz`);
  const body = await r.json();
  return body.accounts.filter((a) => a !== "$G" && a !== "$SYS").sort();
}

/** Wait for a client to be closed by the server and check how: log line, closed reason, no -ERR. */
async function assertClosedByReload(srv, nc, errs, user) {
  const cid = cids.get(nc);
  const res = await Promise.race([nc.closed(), sleep(3000).then(() => "timeout")]);
  assert.notEqual(res, "timeout", `${user}'s connection was closed`);
  assert.deepEqual(errs, [], `${user} got no -ERR`);
  await waitUntil(
    () => new RegExp(` - cid:${cid} - .*Client connection closed: Client Closed\\n`).test(srv.output()),
    `the close of ${user} (cid ${cid}) in the log:\n${srv.output().slice(-2000)}`,
  );
  assert.equal(await closedReason(srv, cid), "Client Closed");
}

/** The -ERR texts a connection gets (status events). */
function watchErrors(nc) {
  const errs = [];
  (async () => {
    for await (const s of nc.status()) if (s.type === "error") errs.push(String(s.error?.message ?? s.error));
  })().catch(() => {});
  return errs;
}

/**
 * Start `target` with fixture `fx`, run `fn(srv, track)`, then close every connection handed
 * to `track` (which returns it) that is still open, and stop the server.
 */
async function withServer(target, fx, opts, fn) {
  const srv = await startAccountsServer(target, fx, dir, opts);
  const conns = [];
  const track = (nc) => {
    conns.push(nc);
    return nc;
  };
  try {
    await fn(srv, track);
  } finally {
    for (const nc of conns) if (!nc.isClosed()) await nc.close();
    await srv.stop();
  }
}

/**
 * A client, connected by `dial(url)`, whose user is in A under `before` and in B under `moved`:
 * the reload closes it, and connected again it is in B (of "where" from a1 in A and b1 in B it
 * gets B's only). `who` names it in the messages.
 */
async function assertMovedToB(target, before, moved, dial, who) {
  await withServer(target, before, { debug: true, monitor: true }, async (srv, track) => {
    const open = async () => {
      const nc = track(await dial(srv.url));
      cids.set(nc, nc.info.client_id);
      return nc;
    };
    const a1 = track(await login(srv, "a1"));
    const b1 = track(await login(srv, "b1"));
    const first = await open();
    const errs = watchErrors(first);
    assert.equal(await srv.reload(moved), "");
    await assertClosedByReload(srv, first, errs, who);
    const again = await open();
    const got = collect(again, "where");
    await again.flush();
    a1.publish("where", "A");
    b1.publish("where", "B");
    await a1.flush();
    await b1.flush();
    await again.flush();
    assert.deepEqual(
      got.msgs.map((m) => m.string()),
      ["B"],
      `${who} is in B now`,
    );
  });
}

for (const target of isolationTargets()) {
  describe(`accounts reload [${target}]`, () => {
    it("adds an account and a user, removes a user, removes an account and moves a user, while traffic runs", async () => {
      await withServer(target, START, { debug: true, monitor: true }, async (srv, track) => {
        const open = async (user) => track(await login(srv, user));
        const a1 = await open("a1");
        const a2 = await open("a2");
        const g1 = await open("g1");
        const g2 = await open("g2");
        const b1 = await open("b1");
        const b2 = await open("b2");
        const b1errs = watchErrors(b1);
        const b2errs = watchErrors(b2);
        // the untouched accounts: A and $G each carry numbered traffic through every reload
        const inA = await traffic(a2, a1, "traffic");
        const inG = await traffic(g2, g1, "traffic");
        await assertRefused(srv, "c1");
        await assertRefused(srv, "a3");
        assert.deepEqual(await listedAccounts(srv), ["A", "B"]);
        // embedded, the registry itself: configured accounts exist before anyone logs in to them
        const registry = () => [...srv.server.accounts.keys()].filter((a) => a !== "$G" && a !== "$SYS").sort();
        if (srv.server) assert.deepEqual(registry(), ["A", "B"]);

        // 1. account C with user c1, and user a3 in A
        assert.equal(await srv.reload(ADDED), "");
        assert.deepEqual(await listedAccounts(srv), ["A", "B", "C"]);
        if (srv.server) assert.deepEqual(registry(), ["A", "B", "C"]);
        const c1 = await open("c1");
        const a3 = await open("a3");
        const a3errs = watchErrors(a3);
        const a3got = collect(a3, "traffic");
        const c1all = collect(c1, ">");
        await c1.flush();
        c1.publish("traffic", "C:from-c1");
        await c1.flush();
        await waitUntil(() => a3got.msgs.length >= 10, "a3 (new user of A) to get A's traffic");
        assert.ok(
          a3got.msgs.every((m) => /^\d+$/.test(m.string())),
          "a3 gets A's traffic only",
        );
        await sleep(30);
        await c1.flush();
        assert.deepEqual(
          c1all.msgs.map((m) => m.string()),
          ["C:from-c1"],
          "c1 (new account C) sees its own message and none of A's or $G's",
        );

        // 2. user b2 removed from B: closed; b1, still in B, keeps working
        const b1got = collect(b1, "inB");
        await b1.flush();
        assert.equal(await srv.reload(USER_REMOVED), "");
        await assertClosedByReload(srv, b2, b2errs, "b2");
        await assertRefused(srv, "b2");
        b1.publish("inB", "B:still");
        await b1.flush();
        assert.deepEqual(
          b1got.msgs.map((m) => m.string()),
          ["B:still"],
        );

        // 3. account B removed (b1 closed), a3 moved from A to C (closed, and lands in C next time)
        assert.equal(await srv.reload(ACCOUNT_REMOVED), "");
        await assertClosedByReload(srv, b1, b1errs, "b1");
        await assertClosedByReload(srv, a3, a3errs, "a3");
        await assertRefused(srv, "b1");
        assert.deepEqual(await listedAccounts(srv), ["A", "C"], "B is gone");
        if (srv.server) assert.deepEqual(registry(), ["A", "C"]);
        const a3again = await open("a3");
        const inC = collect(a3again, "inC");
        await a3again.flush();
        c1.publish("inC", "C:hello");
        a1.publish("inC", "A:hello");
        await c1.flush();
        await a1.flush();
        await a3again.flush();
        assert.deepEqual(
          inC.msgs.map((m) => m.string()),
          ["C:hello"],
          "a3 is in C now",
        );
        assert.ok(!c1.isClosed(), "c1 (C, untouched) stays connected");

        await inA.finish();
        await inG.finish();
        assert.ok(
          c1all.msgs.every((m) => m.string().startsWith("C:")),
          "c1 never saw another account's message",
        );
      });
    });

    it("an nkey user moved to another account is closed, and lands in the new one next time", async () => {
      const key = createUser();
      const nk = { nkey: key.getPublicKey() };
      const before = { accounts: { A: [u("a1"), nk], B: [u("b1")] } };
      const moved = { accounts: { A: [u("a1")], B: [u("b1"), nk] } };
      const dial = (servers) => connect({ servers, authenticator: nkeyAuthenticator(key.getSeed()), reconnect: false });
      await assertMovedToB(target, before, moved, dial, "the nkey user");
    });

    it("a client of no_auth_user is closed when that user moves, and lands in the new account", async () => {
      const before = { accounts: { A: [u("a1"), u("a2")], B: [u("b1")] }, noAuthUser: "a2" };
      const moved = { accounts: { A: [u("a1")], B: [u("b1"), u("a2")] }, noAuthUser: "a2" };
      const dial = (servers) => connect({ servers, reconnect: false });
      await assertMovedToB(target, before, moved, dial, "the no_auth_user client");
    });

    it("mappings change live, each account's own", async () => {
      const base = { accounts: { A: [u("a1")], B: [u("b1")] }, global: [u("g1")] };
      await withServer(target, base, {}, async (srv, track) => {
        const conns = [];
        for (const name of ["a1", "b1", "g1"]) conns.push(track(await login(srv, name)));
        const [a1, b1, g1] = conns;
        /** Where a publish on "in" lands in each account (subscribers on "in" and "out.*"). */
        const where = async () => {
          const seen = {};
          const subs = [];
          for (const [nc, who] of [
            [a1, "A"],
            [b1, "B"],
            [g1, "$G"],
          ]) {
            for (const subj of ["in", "out.*"]) {
              const cb = (_e, m) => (seen[who] ??= []).push(`${m.subject}<-${m.string()}`);
              subs.push(nc.subscribe(subj, { callback: cb }));
            }
          }
          for (const nc of conns) await nc.flush();
          a1.publish("in", "A");
          b1.publish("in", "B");
          g1.publish("in", "G");
          for (let i = 0; i < 2; i++) for (const nc of conns) await nc.flush();
          for (const sub of subs) sub.unsubscribe();
          return seen;
        };
        assert.deepEqual(await where(), { A: ["in<-A"], B: ["in<-B"], $G: ["in<-G"] });
        assert.equal(await srv.reload({ ...base, mappings: { A: { in: "out.a" }, $G: { in: "out.g" } } }), "");
        assert.deepEqual(await where(), { A: ["out.a<-A"], B: ["in<-B"], $G: ["out.g<-G"] });
        assert.equal(await srv.reload({ ...base, mappings: { B: { in: "out.b" } } }), "");
        assert.deepEqual(await where(), { A: ["in<-A"], B: ["out.b<-B"], $G: ["in<-G"] });
      });
    });

    it("the system account cannot change at runtime, as nats-server refuses it", async () => {
      const srv = await startAccountsServer(target, START, dir);
      try {
        assert.equal(
          await srv.reload({ ...START, systemAccount: "A" }),
          "config reload not supported for SystemAccount: old=, new=A",
        );
        assert.equal(
          await srv.reload({ ...START, noSystemAccount: true }),
          "config reload not supported for NoSystemAccount: old=false, new=true",
        );
        // the refused reloads changed nothing: B's users still log in
        const b1 = await login(srv, "b1");
        await b1.close();
      } finally {
        await srv.stop();
      }
    });

    it("an account named $SYS is the system account: system_account may name it or not, nothing else", async () => {
      const withSys = { accounts: { ...START.accounts, $SYS: [["sys", "psys"]] }, global: START.global };
      const srv = await startAccountsServer(target, { ...withSys, systemAccount: "$SYS" }, dir);
      try {
        assert.equal(await srv.reload(withSys), "", "an explicit $SYS dropped");
        assert.equal(await srv.reload({ ...withSys, systemAccount: "$SYS" }), "", "and named again");
        assert.equal(
          await srv.reload({ ...withSys, systemAccount: "A" }),
          "config reload not supported for SystemAccount: old=$SYS, new=A",
        );
      } finally {
        await srv.stop();
      }
    });

    it("a system_account that is not $SYS cannot be dropped; its account entry can", async () => {
      const srv = await startAccountsServer(target, { ...START, systemAccount: "A" }, dir);
      try {
        assert.equal(await srv.reload(START), "config reload not supported for SystemAccount: old=A, new=");
        // nats-server refuses to start so, but a reload keeps A as the system account
        const noA = { accounts: { B: START.accounts.B }, global: START.global, systemAccount: "A" };
        assert.equal(await srv.reload(noA), "");
        await assertRefused(srv, "a1");
        const b1 = await login(srv, "b1");
        await b1.close();
        if (srv.server) assert.equal(srv.server.systemAccount, srv.server.lookupAccount("A"));
      } finally {
        await srv.stop();
      }
    });
  });
}
