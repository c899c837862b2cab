// The closed-connection ring (/connz?state=closed|all): what a closed connection leaves behind
// is a snapshot of its /connz figures, subscriptions and close reason, with no reference to the
// connection, its socket, parser or buffers.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { startServer as startEmbedded } from "tsnats/server";
import { rawConnect } from "./helpers/raw.js";
import { serverKinds, startServer } from "./helpers/servers.js";
import { get, monitorPort, waitJSON } from "./fixtures/monitor/scenario.js";

const RAW = { verbose: false, pedantic: false, lang: "raw", version: "1.0.0" };

/** Subscriptions of a closed connection, made and used, then the connection closed by the client. */
async function closeWithSubs(port, name) {
  const { c } = await rawConnect(port, { ...RAW, name });
  c.write("SUB foo 1\r\nSUB bar q1 2\r\nSUB baz 3\r\nUNSUB 3 5\r\nSUB gone 4\r\nUNSUB 4\r\nPUB foo 2\r\nhi\r\n");
  assert.equal(await c.flush(), "MSG foo 1 2\r\nhi\r\n", "the subscriber got its own message");
  c.close();
}

/** A connection the server closes on a protocol error, with one subscription. */
async function closeByServer(port, name) {
  const { c } = await rawConnect(port, { ...RAW, name });
  c.write("SUB x 1\r\n");
  await c.flush();
  c.write("FOO\r\n");
  assert.ok(await c.waitClosed(3000), "the server closes the connection");
}

const bySid = (a, b) => a.sid.localeCompare(b.sid);
const withoutCid = (list) => list.map(({ cid: _cid, ...d }) => d).sort(bySid);

for (const kind of serverKinds()) {
  describe(`closed ring [${kind}]`, () => {
    it("keeps the subscriptions (subs=1, subs=detail) and the close reason of closed connections", async () => {
      const srv = await startServer(kind, ["-m", "-1"]);
      try {
        const mport = monitorPort(srv);
        await closeWithSubs(srv.port, "client-closed");
        await closeByServer(srv.port, "server-closed");
        const closed = await waitJSON(
          mport,
          "/connz?state=closed&subs=1",
          (j) => j.connections?.length === 2,
          "two closed connections",
        );
        const [a, b] = closed.connections;
        assert.equal(a.name, "client-closed");
        assert.equal(a.reason, "Client Closed");
        assert.equal(a.subscriptions, 3);
        assert.deepEqual([...a.subscriptions_list].sort(), ["bar", "baz", "foo"]);
        assert.equal(a.in_msgs, 1);
        assert.equal(a.out_msgs, 1);
        assert.equal(b.name, "server-closed");
        assert.equal(b.reason, "Protocol Violation");
        assert.deepEqual(b.subscriptions_list, ["x"]);
        // without subs= there are no lists (asked before subs=detail: nats-server 2.9 and 2.10
        // store the detail list on the ring entry itself, and show it on later plain requests)
        const plain = (await get(mport, "/connz?state=closed")).json.connections;
        assert.ok(plain.every((x) => x.subscriptions_list === undefined && x.subscriptions_list_detail === undefined));
        const detail = (await get(mport, "/connz?state=closed&subs=detail")).json.connections;
        assert.equal(detail[0].subscriptions_list, undefined);
        // as nats-server shows them: the account named (unlike an open connection's), and no
        // max (the auto-unsubscribe limit of baz is cleared at the close)
        assert.deepEqual(withoutCid(detail[0].subscriptions_list_detail), [
          { account: "$G", subject: "foo", sid: "1", msgs: 1 },
          { account: "$G", subject: "bar", qgroup: "q1", sid: "2", msgs: 0 },
          { account: "$G", subject: "baz", sid: "3", msgs: 0 },
        ]);
        // (the field order of one entry; nats-server lists the entries in Go's map order)
        const foo = detail[0].subscriptions_list_detail.find((d) => d.subject === "foo");
        assert.deepEqual(Object.keys(foo), ["account", "subject", "sid", "msgs", "cid"]);
        for (const d of detail[0].subscriptions_list_detail) assert.equal(d.cid, a.cid);
        assert.deepEqual(withoutCid(detail[1].subscriptions_list_detail), [
          { account: "$G", subject: "x", sid: "1", msgs: 0 },
        ]);
        // state=all finds a closed one by cid
        const one = (await get(mport, `/connz?state=all&cid=${b.cid}&subs=1`)).json.connections;
        assert.deepEqual(
          one.map((x) => [x.name, x.reason, x.subscriptions_list]),
          [["server-closed", "Protocol Violation", ["x"]]],
        );
      } finally {
        await srv.stop();
      }
    });
  });
}

describe("closed ring [tsnats, embedded]", () => {
  it("holds snapshots of strings and numbers: a closed connection object is collected, /connz still shows it", {
    timeout: 60_000,
  }, async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc");
    const srv = await startEmbedded({ http_port: -1 });
    const mport = Number(new URL(srv.monitorUrl).port);
    const refs = [];
    const onClose = (c) => refs.push(new WeakRef(c));
    srv.server.on("client:close", onClose);
    const N = 20;
    try {
      for (let i = 0; i < N; i++) {
        if (i % 2 === 0) await closeWithSubs(srv.port, `c${i}`);
        else await closeByServer(srv.port, `c${i}`);
      }
      await waitJSON(mport, "/connz?state=closed", (j) => j.total === N, `${N} closed`);
      assert.equal(refs.length, N, "client:close passes the live connection");
      // every closed connection object becomes unreachable: the ring holds none of them
      const deadline = Date.now() + 10_000;
      let alive = N;
      while (alive > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        gc();
        gc();
        alive = refs.filter((r) => r.deref() !== undefined).length;
      }
      assert.equal(alive, 0, `${alive} of ${N} closed connections still reachable`);

      // the snapshots: own fields of strings, numbers and null only, subscriptions likewise
      const ring = srv.server.closed;
      assert.equal(ring.length, N);
      const scalar = (v) => typeof v === "string" || typeof v === "number";
      for (const cc of ring) {
        for (const [k, v] of Object.entries(cc)) {
          if (k === "subs") {
            assert.ok(v === null || Array.isArray(v), "subs is an array or null");
            for (const s of v ?? [])
              for (const [sk, sv] of Object.entries(s)) assert.ok(scalar(sv), `subs[].${sk} is ${typeof sv}`);
          } else if (k === "tlsInfo") assert.equal(v, null, "a plain connection has no TLS fields");
          else assert.ok(scalar(v), `${k} is ${typeof v}`);
        }
      }

      // /connz still shows the lists and the reasons of the collected connections
      const j = (await get(mport, "/connz?state=closed&subs=1")).json;
      assert.equal(j.connections.length, N);
      for (const [i, x] of j.connections.entries()) {
        assert.equal(x.name, `c${i}`);
        if (i % 2 === 0) {
          assert.equal(x.reason, "Client Closed");
          assert.deepEqual(x.subscriptions_list, ["foo", "bar", "baz"]);
        } else {
          assert.equal(x.reason, "Protocol Violation");
          assert.deepEqual(x.subscriptions_list, ["x"]);
        }
      }
      const d = (await get(mport, "/connz?state=closed&subs=detail&sort=subs&limit=1")).json.connections[0];
      assert.deepEqual(withoutCid(d.subscriptions_list_detail), [
        { account: "$G", subject: "foo", sid: "1", msgs: 1 },
        { account: "$G", subject: "bar", qgroup: "q1", sid: "2", msgs: 0 },
        { account: "$G", subject: "baz", sid: "3", msgs: 0 },
      ]);
    } finally {
      srv.server.off("client:close", onClose);
      await srv.shutdown();
    }
  });
});
