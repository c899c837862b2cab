// Black-box authentication and authorization tests through the official nats.js v3 client
// (@nats-io/transport-node), run against every server kind from serverKinds().
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import bcrypt from "bcryptjs";
import { connect, errors, createInbox } from "@nats-io/transport-node";
import { serverKinds, startServer } from "./helpers/servers.js";
import { waitUntil } from "./helpers/wait.js";
import { collect } from "./helpers/natsjs.js";

const kinds = serverKinds();

/** Poll until pred() is true; rejects with a descriptive error after timeoutMs. */

/** Record every status event of a connection (nc.status() async iterator). */
function watchStatus(nc) {
  const events = [];
  (async () => {
    for await (const s of nc.status()) events.push(s);
  })().catch(() => {});
  return events;
}

/** The PermissionViolationErrors among the recorded status events. */
function permErrors(events) {
  return events
    .filter((e) => e.type === "error" && e.error instanceof errors.PermissionViolationError)
    .map((e) => e.error);
}

async function settle(...ncs) {
  for (const nc of ncs) await nc.flush();
}

/** Assert that connecting with opts is refused with nats.js' AuthorizationError. */
async function assertAuthRejected(url, opts, label) {
  await assert.rejects(
    connect({ servers: url, reconnect: false, timeout: 3000, ...opts }).then(async (nc) => {
      await nc.close();
      return nc;
    }),
    (err) => {
      assert.ok(
        err instanceof errors.AuthorizationError,
        `${label}: expected AuthorizationError, got ${err?.name}: ${err?.message}`,
      );
      assert.match(err.message, /authorization violation/i, label);
      return true;
    },
    `${label}: connection should be refused`,
  );
}

/** A bcrypt hash of pw with the given prefix ("$2a$" or "$2b$"); bcryptjs computes the same hash for both. */
function bcryptHash(pw, prefix, cost) {
  const salt = bcrypt.genSaltSync(cost).replace(/^\$2[aby]\$/, prefix);
  const h = bcrypt.hashSync(pw, salt);
  assert.ok(h.startsWith(prefix), h);
  return h;
}

for (const kind of kinds) {
  describe(`nats.js auth [${kind}]`, () => {
    const conns = [];
    async function conn(url, opts = {}) {
      const nc = await connect({ servers: url, reconnect: false, timeout: 3000, ...opts });
      conns.push(nc);
      return nc;
    }
    async function closeAll() {
      for (const nc of conns.splice(0)) {
        if (!nc.isClosed()) await nc.close().catch(() => {});
      }
    }
    afterEach(closeAll);

    describe("token (--auth)", () => {
      let srv;
      before(async () => {
        srv = await startServer(kind, ["--auth", "s3cr3t-token"]);
      });
      after(async () => {
        await closeAll();
        if (srv) await srv.stop();
      });

      it("INFO says auth is required", async () => {
        const nc = await conn(srv.url, { token: "s3cr3t-token" });
        assert.equal(nc.info.auth_required, true);
      });

      it("the right token connects and can publish and subscribe", async () => {
        const a = await conn(srv.url, { token: "s3cr3t-token" });
        const b = await conn(srv.url, { token: "s3cr3t-token" });
        const { msgs } = collect(a, "tok.x");
        await a.flush();
        b.publish("tok.x", "hi");
        await settle(b, a);
        await waitUntil(() => msgs.length >= 1, "1 message");
        assert.equal(msgs[0].string(), "hi");
      });

      it("missing, wrong or user/pass credentials are refused", async () => {
        await assertAuthRejected(srv.url, {}, "no token");
        await assertAuthRejected(srv.url, { token: "wrong" }, "wrong token");
        await assertAuthRejected(srv.url, { token: "s3cr3t-token-x" }, "token with suffix");
        await assertAuthRejected(srv.url, { user: "s3cr3t-token", pass: "s3cr3t-token" }, "user/pass instead of token");
        // the server is still serving good clients afterwards
        const nc = await conn(srv.url, { token: "s3cr3t-token" });
        await nc.flush();
      });
    });

    describe("user/password (--user/--pass)", () => {
      let srv;
      before(async () => {
        srv = await startServer(kind, ["--user", "a", "--pass", "b"]);
      });
      after(async () => {
        await closeAll();
        if (srv) await srv.stop();
      });

      it("the right user and password connect and can publish and subscribe", async () => {
        const nc = await conn(srv.url, { user: "a", pass: "b" });
        assert.equal(nc.info.auth_required, true);
        const { msgs } = collect(nc, "up.x");
        nc.publish("up.x", "hello");
        await nc.flush();
        await waitUntil(() => msgs.length >= 1, "1 message");
        assert.equal(msgs[0].string(), "hello");
        // request/reply works for an authenticated user with no permissions set
        nc.subscribe("up.svc", { callback: (_e, m) => m.respond("ok") });
        await nc.flush();
        assert.equal((await nc.request("up.svc", "", { timeout: 2000 })).string(), "ok");
      });

      it("wrong, partial or missing credentials are refused", async () => {
        await assertAuthRejected(srv.url, {}, "no credentials");
        await assertAuthRejected(srv.url, { user: "a", pass: "wrong" }, "wrong password");
        await assertAuthRejected(srv.url, { user: "x", pass: "b" }, "wrong user");
        await assertAuthRejected(srv.url, { user: "a" }, "user without password");
        await assertAuthRejected(srv.url, { user: "A", pass: "b" }, "user name is case-sensitive");
        await assertAuthRejected(srv.url, { token: "b" }, "token instead of user/pass");
        const nc = await conn(srv.url, { user: "a", pass: "b" });
        await nc.flush();
      });
    });

    describe("users list with bcrypt, permissions and no_auth_user (-c config)", () => {
      let srv;
      let dir;
      let bobHash;
      before(async () => {
        dir = mkdtempSync(path.join(os.tmpdir(), "tsnats-natsjs-auth-"));
        bobHash = bcryptHash("bob-pw", "$2a$", 8);
        const carolHash = bcryptHash("carol-pw", "$2b$", 6);
        const conf = `
# written by test/natsjs-auth.test.js
authorization {
  users = [
    {
      user: alice
      password: secret
      permissions: {
        publish: { allow: ["foo.>", "svc.>"], deny: ["foo.bar", "foo.deny.>"] }
        subscribe: { allow: ["foo.>", "_INBOX.>"], deny: ["foo.secret"] }
      }
    }
    { user: bob, password: "${bobHash}" }
    {
      user: carol
      password: "${carolHash}"
      permissions: { publish: "carol.*", subscribe: ["carol.>", "_INBOX.>"] }
    }
    {
      user: svc
      password: svc-pw
      permissions: { subscribe: ["svc.>"], allow_responses: true }
    }
  ]
}
no_auth_user: alice
`;
        const file = path.join(dir, "auth.conf");
        writeFileSync(file, conf);
        srv = await startServer(kind, ["-c", file]);
      });
      after(async () => {
        await closeAll();
        if (srv) await srv.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      it("plain and bcrypt ($2a$ and $2b$) passwords authenticate; wrong ones are refused", async () => {
        const alice = await conn(srv.url, { user: "alice", pass: "secret" });
        const bob = await conn(srv.url, { user: "bob", pass: "bob-pw" });
        const carol = await conn(srv.url, { user: "carol", pass: "carol-pw" });
        await settle(alice, bob, carol);
        // with no_auth_user set, nats-server omits auth_required from INFO (clients may connect without credentials)
        assert.notEqual(bob.info.auth_required, true);

        await assertAuthRejected(srv.url, { user: "alice", pass: "wrong" }, "alice wrong password");
        await assertAuthRejected(srv.url, { user: "bob", pass: "bob-pw2" }, "bob wrong password");
        await assertAuthRejected(srv.url, { user: "bob", pass: "" }, "bob empty password");
        await assertAuthRejected(srv.url, { user: "mallory", pass: "secret" }, "unknown user");
        await assertAuthRejected(srv.url, { user: "alice" }, "alice without password");
        await assertAuthRejected(srv.url, { token: "secret" }, "token against a users list");
      });

      it("the bcrypt hash itself is not accepted as the password", async () => {
        // the configured password is a hash to compare against, never a plain password itself
        await assertAuthRejected(srv.url, { user: "bob", pass: bobHash }, "bob with the configured hash");
        await assertAuthRejected(
          srv.url,
          { user: "bob", pass: bcryptHash("bob-pw", "$2a$", 8) },
          "bob with another hash",
        );
      });

      it("no_auth_user: a client without credentials connects as alice with her permissions", async () => {
        const anon = await conn(srv.url);
        const bob = await conn(srv.url, { user: "bob", pass: "bob-pw" });
        const events = watchStatus(anon);
        const all = collect(bob, ">");
        await bob.flush();

        anon.publish("foo.ok", "allowed");
        anon.publish("bar.nope", "not allowed");
        await settle(anon, bob);
        await waitUntil(() => permErrors(events).length >= 1, "permission error");
        await settle(anon, bob);
        assert.deepEqual(
          all.msgs.map((m) => m.subject),
          ["foo.ok"],
        );
        const [pe] = permErrors(events);
        assert.equal(pe.operation, "publish");
        assert.equal(pe.subject, "bar.nope");
        assert.equal(anon.isClosed(), false);

        // and alice's subscribe permissions apply too
        const s = anon.subscribe("bar.nope");
        await assert.rejects(
          (async () => {
            for await (const _m of s) {
              /* nothing arrives */
            }
          })(),
          (err) => err instanceof errors.PermissionViolationError && err.operation === "subscription",
        );
        await anon.flush();
        assert.equal(anon.isClosed(), false);
      });

      it("publish allow/deny with wildcards: denied messages are not delivered and surface as permission errors", async () => {
        const alice = await conn(srv.url, { user: "alice", pass: "secret" });
        const bob = await conn(srv.url, { user: "bob", pass: "bob-pw" });
        const events = watchStatus(alice);
        const all = collect(bob, ">");
        await bob.flush();

        const attempts = [
          "foo.a",
          "foo.bar",
          "foo.a.b",
          "foo.deny.x",
          "foo.deny",
          "bar",
          "bar.foo",
          "foo.bar.baz",
          "foo",
        ];
        for (const s of attempts) alice.publish(s, s);
        await settle(alice, bob);
        await waitUntil(() => permErrors(events).length >= 4, "4 permission errors");
        await settle(alice, bob);

        assert.deepEqual(
          all.msgs.map((m) => m.subject),
          ["foo.a", "foo.a.b", "foo.deny", "foo.bar.baz"],
        );
        const pes = permErrors(events);
        assert.deepEqual(
          pes.map((e) => e.subject),
          ["foo.bar", "foo.deny.x", "bar", "bar.foo", "foo"],
        );
        for (const e of pes) {
          assert.equal(e.operation, "publish");
          assert.match(e.message, /permissions violation for publish/i);
        }

        // the connection stays open and keeps working
        assert.equal(alice.isClosed(), false);
        alice.publish("foo.after", "still here");
        await settle(alice, bob);
        await waitUntil(() => all.msgs.length >= 5, "message after the violations");
        assert.equal(all.msgs[4].subject, "foo.after");
        assert.equal(all.msgs[4].string(), "still here");
      });

      it("subscribe allow/deny: a denied subscription errors (iterator and callback), the connection stays open", async () => {
        const alice = await conn(srv.url, { user: "alice", pass: "secret" });
        const bob = await conn(srv.url, { user: "bob", pass: "bob-pw" });
        const events = watchStatus(alice);

        // iterator form: the iterator throws the PermissionViolationError
        const notAllowed = alice.subscribe("bar.x");
        let iterErr;
        try {
          for await (const _m of notAllowed) {
            /* nothing arrives */
          }
        } catch (err) {
          iterErr = err;
        }
        assert.ok(iterErr instanceof errors.PermissionViolationError, `got ${iterErr}`);
        assert.equal(iterErr.operation, "subscription");
        assert.equal(iterErr.subject, "bar.x");
        assert.match(iterErr.message, /permissions violation for subscription to "bar\.x"/i);
        assert.equal(notAllowed.isClosed(), true);
        assert.equal(await notAllowed.closed, iterErr);

        // callback form, explicitly denied subject
        const denied = collect(alice, "foo.secret");
        // queue subscription on a subject outside the allow list
        const deniedQ = collect(alice, "bar.q", { queue: "workers" });
        // allowed wildcard subscription that covers the denied subject
        const wide = collect(alice, "foo.*");
        const ok = collect(alice, "foo.ok");
        await alice.flush();
        await waitUntil(() => denied.errs.length >= 1 && deniedQ.errs.length >= 1, "subscription errors");
        assert.ok(denied.errs[0] instanceof errors.PermissionViolationError);
        assert.equal(denied.errs[0].operation, "subscription");
        assert.equal(denied.errs[0].subject, "foo.secret");
        assert.ok(deniedQ.errs[0] instanceof errors.PermissionViolationError);
        assert.equal(deniedQ.errs[0].subject, "bar.q");
        assert.equal(deniedQ.errs[0].queue, "workers");
        assert.equal(ok.errs.length, 0);
        assert.equal(wide.errs.length, 0);
        // the violations are also reported on nc.status()
        await waitUntil(() => permErrors(events).length >= 3, "3 permission errors on nc.status()");
        assert.deepEqual(
          permErrors(events)
            .map((e) => `${e.operation} ${e.subject}`)
            .sort(),
          ["subscription bar.q", "subscription bar.x", "subscription foo.secret"],
        );

        // messages: the allowed subscriptions receive, the denied subject is filtered from the wildcard
        for (const s of ["foo.ok", "foo.secret", "bar.x", "bar.q", "foo.other"]) bob.publish(s, s);
        await settle(bob, alice);
        await waitUntil(() => ok.msgs.length >= 1 && wide.msgs.length >= 2, "allowed messages");
        await settle(bob, alice);
        assert.deepEqual(
          ok.msgs.map((m) => m.subject),
          ["foo.ok"],
        );
        assert.deepEqual(
          wide.msgs.map((m) => m.subject),
          ["foo.ok", "foo.other"],
        );
        assert.equal(denied.msgs.length, 0);
        assert.equal(deniedQ.msgs.length, 0);
        assert.equal(alice.isClosed(), false);
      });

      it("a request to a subject alice may not publish to fails with a permission error; she can still request", async () => {
        const alice = await conn(srv.url, { user: "alice", pass: "secret" });
        const bob = await conn(srv.url, { user: "bob", pass: "bob-pw" });
        bob.subscribe("bar.svc", { callback: (_e, m) => m.respond("should not happen") });
        bob.subscribe("foo.svc", { callback: (_e, m) => m.respond("foo reply") });
        await bob.flush();
        await assert.rejects(alice.request("bar.svc", "x", { timeout: 2000 }), (err) => {
          const pe = err instanceof errors.PermissionViolationError ? err : err?.cause;
          assert.ok(pe instanceof errors.PermissionViolationError, `got ${err?.name}: ${err?.message}`);
          assert.equal(pe.operation, "publish");
          assert.equal(pe.subject, "bar.svc");
          return true;
        });
        assert.equal(alice.isClosed(), false);
        const r = await alice.request("foo.svc", "x", { timeout: 2000 });
        assert.equal(r.string(), "foo reply");
      });

      it("string-form permissions: publish 'carol.*' and subscribe 'carol.>'", async () => {
        const carol = await conn(srv.url, { user: "carol", pass: "carol-pw" });
        const bob = await conn(srv.url, { user: "bob", pass: "bob-pw" });
        const events = watchStatus(carol);
        const seen = collect(bob, ">");
        const mine = collect(carol, "carol.>");
        const notMine = collect(carol, "foo.x");
        await settle(bob, carol);
        carol.publish("carol.a", "1");
        carol.publish("carol.a.b", "2");
        carol.publish("foo.x", "3");
        bob.publish("carol.z.z", "4");
        bob.publish("foo.x", "5");
        await settle(carol, bob, carol);
        await waitUntil(() => permErrors(events).length >= 3 && mine.msgs.length >= 2, "carol results");
        await settle(carol, bob, carol);
        assert.deepEqual(
          seen.msgs.filter((m) => ["1", "2", "3"].includes(m.string())).map((m) => m.subject),
          ["carol.a"],
          "only carol's allowed publish reaches other subscribers",
        );
        assert.deepEqual(mine.msgs.map((m) => m.string()).sort(), ["1", "4"]);
        assert.equal(notMine.msgs.length, 0);
        assert.ok(notMine.errs[0] instanceof errors.PermissionViolationError);
        assert.deepEqual(
          permErrors(events)
            .map((e) => `${e.operation} ${e.subject}`)
            .sort(),
          ["publish carol.a.b", "publish foo.x", "subscription foo.x"],
        );
        assert.equal(carol.isClosed(), false);
      });

      it("allow_responses: a responder may reply once to a request it received, and nothing else", async () => {
        const svc = await conn(srv.url, { user: "svc", pass: "svc-pw" });
        const alice = await conn(srv.url, { user: "alice", pass: "secret" });
        const bob = await conn(srv.url, { user: "bob", pass: "bob-pw" });
        const events = watchStatus(svc);

        // a service that answers requests
        svc.subscribe("svc.echo", { callback: (_e, m) => m.respond(`echo ${m.string()}`) });
        // a service that tries to answer twice
        svc.subscribe("svc.twice", {
          callback: (_e, m) => {
            m.respond("first");
            m.respond("second");
          },
        });
        await svc.flush();

        // requests from a restricted (alice) and an unrestricted (bob) user get their replies
        assert.equal((await alice.request("svc.echo", "a", { timeout: 2000 })).string(), "echo a");
        assert.equal((await bob.request("svc.echo", "b", { timeout: 2000 })).string(), "echo b");
        const many = await Promise.all(
          Array.from({ length: 50 }, (_, i) => bob.request("svc.echo", String(i), { timeout: 3000 })),
        );
        for (const [i, r] of many.entries()) assert.equal(r.string(), `echo ${i}`);
        assert.equal(permErrors(events).length, 0, "replies are not violations");

        // only the first of two replies to one request is delivered
        const inbox = createInbox();
        const replies = collect(bob, inbox);
        await bob.flush();
        bob.publish("svc.twice", "x", { reply: inbox });
        await bob.flush();
        await waitUntil(() => replies.msgs.length >= 1 && permErrors(events).length >= 1, "reply and violation");
        await settle(svc, bob);
        assert.deepEqual(
          replies.msgs.map((m) => m.string()),
          ["first"],
        );
        assert.equal(permErrors(events)[0].operation, "publish");
        assert.equal(permErrors(events)[0].subject, inbox);

        // svc may not publish anywhere else, including to an inbox it never received
        const spy = collect(bob, ">");
        await bob.flush();
        svc.publish("foo.x", "nope");
        svc.publish(createInbox(), "nope");
        svc.publish("svc.echo", "nope");
        await settle(svc, bob);
        await waitUntil(() => permErrors(events).length >= 4, "3 more violations");
        await settle(svc, bob);
        assert.equal(spy.msgs.length, 0, `nothing from svc is delivered (got ${spy.msgs.map((m) => m.subject)})`);
        assert.deepEqual(
          permErrors(events)
            .slice(1)
            .map((e) => e.operation),
          ["publish", "publish", "publish"],
        );

        // svc may not subscribe outside svc.>
        const bad = collect(svc, "foo.>");
        await svc.flush();
        await waitUntil(() => bad.errs.length >= 1, "subscription error");
        assert.ok(bad.errs[0] instanceof errors.PermissionViolationError);

        // and the service still works afterwards
        assert.equal(svc.isClosed(), false);
        assert.equal((await bob.request("svc.echo", "again", { timeout: 2000 })).string(), "echo again");
      });
    });
  });
}
