// The load generator bench/loadgen (nats.go) itself: its exit status 0 must mean nothing was lost,
// duplicated, reordered or corrupted, so it runs against a small fake server here that makes one
// such fault on purpose, and must fail naming it (and pass when the fake makes none). Its TLS
// options are checked against Debian's nats-server with certificates openssl makes here. Usage
// errors exit 2.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer } from "./helpers/servers.js";
import { runLoadgen as loadgen } from "./helpers/loadgen.js";
import { buildLoadgen } from "../bench/loadgen/build.mjs";
import { requirePrereqs } from "../scripts/prereqs.mjs";

requirePrereqs(["go", "nats.go", "openssl"], "test/loadgen.test.js");

/**
 * A fake NATS server, just enough for nats.go's pub/sub and queue groups, that injects one fault
 * at the 10th published message: "drop" it, "dup" (deliver it twice), "swap" (deliver it after
 * the 11th), "corrupt" (flip its last payload byte), "fanout" (a queue group's message goes to
 * every member), or nothing (null).
 */
function fakeServer(fault) {
  const conns = new Set();
  let published = 0;
  let held = null;
  let rr = 0;
  const server = net.createServer((sock) => {
    const conn = { sock, subs: new Map() };
    conns.add(conn);
    const info = {
      server_id: "FAKE",
      server_name: "fake",
      version: "2.9.10",
      proto: 1,
      headers: true,
      max_payload: 1048576,
      host: "127.0.0.1",
      port: server.address().port,
    };
    sock.write(`INFO ${JSON.stringify(info)}\r\n`);
    let buf = Buffer.alloc(0);
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const nl = buf.indexOf("\r\n");
        if (nl < 0) return;
        const [op, ...a] = buf.subarray(0, nl).toString("latin1").split(" ");
        if (op === "PUB") {
          const size = Number(a[a.length - 1]);
          if (buf.length < nl + 2 + size + 2) return;
          const payload = Buffer.from(buf.subarray(nl + 2, nl + 2 + size));
          buf = buf.subarray(nl + 4 + size);
          publish(a[0], payload);
          continue;
        }
        buf = buf.subarray(nl + 2);
        if (op === "PING") sock.write("PONG\r\n");
        else if (op === "SUB") conn.subs.set(a[a.length - 1], { subject: a[0], queue: a.length === 3 ? a[1] : null });
        else if (op === "UNSUB") conn.subs.delete(a[0]);
      }
    });
    sock.on("error", () => {});
    sock.on("close", () => conns.delete(conn));
  });
  function deliver(subject, payload) {
    const groups = new Map();
    for (const c of conns) {
      for (const [sid, s] of c.subs) {
        if (s.subject !== subject) continue;
        if (s.queue === null)
          c.sock.write(
            Buffer.concat([Buffer.from(`MSG ${subject} ${sid} ${payload.length}\r\n`), payload, Buffer.from("\r\n")]),
          );
        else groups.set(s.queue, [...(groups.get(s.queue) ?? []), [c, sid]]);
      }
    }
    for (const members of groups.values()) {
      const to = fault === "fanout" && published === 10 ? members : [members[rr++ % members.length]];
      for (const [c, sid] of to)
        c.sock.write(
          Buffer.concat([Buffer.from(`MSG ${subject} ${sid} ${payload.length}\r\n`), payload, Buffer.from("\r\n")]),
        );
    }
  }
  function publish(subject, payload) {
    published++;
    if (published !== 10) {
      deliver(subject, payload);
      if (held) deliver(subject, held);
      held = null;
      return;
    }
    if (fault === "drop") return;
    if (fault === "swap") {
      held = payload;
      return;
    }
    if (fault === "corrupt") payload[payload.length - 1] ^= 1;
    deliver(subject, payload);
    if (fault === "dup") deliver(subject, payload);
  }
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `nats://127.0.0.1:${server.address().port}`,
        close: () =>
          new Promise((r) => {
            for (const c of conns) c.sock.destroy();
            server.close(r);
          }),
      }),
    );
  });
}

describe("bench/loadgen", () => {
  let bin;
  before(() => {
    bin = buildLoadgen();
  });

  const faults = [
    // [fault, mode, what the JSON line must say]
    [null, "pubsub", { lost: 0, extra: 0, out_of_order: 0, corrupt: 0, delivered: 100, complete: true }],
    [null, "queue", { lost: 0, extra: 0, out_of_order: 0, corrupt: 0, delivered: 100, complete: true }],
    ["drop", "pubsub", { lost: 1, extra: 0, delivered: 99, complete: false }],
    ["dup", "pubsub", { lost: 0, extra: 1, delivered: 101, complete: true }],
    ["swap", "pubsub", { lost: 0, extra: 0, out_of_order: 1, delivered: 100, complete: true }],
    ["corrupt", "pubsub", { corrupt: 1, lost: 1, delivered: 100 }],
    ["fanout", "queue", { lost: 0, extra: 1, delivered: 101, complete: true }],
  ];
  for (const [fault, mode, want] of faults) {
    it(`${mode} against a server that ${fault ? `makes the fault "${fault}"` : "makes no fault"}: exit ${fault ? 1 : 0}`, async () => {
      const srv = await fakeServer(fault);
      try {
        const args = [
          mode,
          "--url",
          srv.url,
          "--msgs",
          "100",
          "--size",
          "16",
          "--sub",
          mode === "queue" ? "2" : "1",
          "--timeout",
          "1s",
        ];
        const r = await loadgen(bin, args);
        assert.equal(r.code, fault ? 1 : 0, r.stdout + r.stderr);
        assert.equal(r.result.ok, !fault);
        for (const [k, v] of Object.entries(want)) assert.equal(r.result[k], v, `${k}\n${r.stdout}`);
        if (fault) assert.ok(r.result.errors.length > 0, "the problem is described");
        assert.ok(r.stdout.trimEnd().split("\n").pop().startsWith("{"), "the JSON line comes last");
      } finally {
        await srv.close();
      }
    });
  }

  it("refuses bad usage with exit 2 and the reason", async () => {
    const cases = [
      [[], /a mode is required/],
      [["bogus"], /unknown mode "bogus"/],
      [["pub", "--msgs", "0"], /--msgs must be at least 1/],
      [["pubsub", "--sub", "0"], /--sub must be at least 1/],
      [["pub", "--tlscert", "/tmp/x.pem"], /--tlscert and --tlskey go together/],
      [["pub", "--tlsca", "/nonexistent/ca.pem"], /cannot read \/nonexistent\/ca\.pem/],
      [["pub", "--nope"], /flag provided but not defined: -nope/],
    ];
    for (const [args, re] of cases) {
      const r = await loadgen(bin, args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.result, null);
    }
  });

  describe("TLS against Debian's nats-server", () => {
    let dir;
    const file = (f) => path.join(dir, f);
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), "tsnats-loadgen-tls-"));
      const ssl = (...args) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
      const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
      ssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=loadgen test CA");
      for (const [name, ext] of [
        ["server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"],
        ["client", "extendedKeyUsage=clientAuth\n"],
      ]) {
        writeFileSync(file(`${name}.ext`), ext);
        ssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
        ssl(
          "x509",
          "-req",
          "-in",
          `${name}.csr`,
          "-CA",
          "ca.pem",
          "-CAkey",
          "ca.key",
          "-CAcreateserial",
          "-out",
          `${name}.pem`,
          "-days",
          "1",
          "-extfile",
          `${name}.ext`,
        );
      }
      writeFileSync(
        file("verify.conf"),
        `tls { cert_file: "${file("server.pem")}", key_file: "${file("server.key")}", ca_file: "${file("ca.pem")}", verify: true }\n`,
      );
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("tls:// with --tlsca: every message delivered", async () => {
      const srv = await startServer("nats-server", [
        "--tls",
        "--tlscert",
        file("server.pem"),
        "--tlskey",
        file("server.key"),
      ]);
      try {
        const r = await loadgen(bin, [
          "pubsub",
          "--url",
          `tls://127.0.0.1:${srv.port}`,
          "--tlsca",
          file("ca.pem"),
          "--msgs",
          "2000",
          "--timeout",
          "5s",
        ]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(r.result.tls, true);
        assert.equal(r.result.delivered, 2000);
        // without the CA the server's certificate is not trusted
        const u = await loadgen(bin, [
          "pub",
          "--url",
          `tls://127.0.0.1:${srv.port}`,
          "--msgs",
          "10",
          "--timeout",
          "5s",
        ]);
        assert.equal(u.code, 1, u.stdout);
        assert.match(u.result.errors[0], /cannot connect .*certificate/);
      } finally {
        await srv.stop();
      }
    });

    it("a server that verifies clients: --tlscert and --tlskey are presented", async () => {
      const srv = await startServer("nats-server", ["-c", file("verify.conf")]);
      try {
        const url = `tls://127.0.0.1:${srv.port}`;
        const r = await loadgen(bin, [
          "reqrep",
          "--url",
          url,
          "--tlsca",
          file("ca.pem"),
          "--tlscert",
          file("client.pem"),
          "--tlskey",
          file("client.key"),
          "--msgs",
          "100",
          "--conc",
          "2",
          "--timeout",
          "5s",
        ]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(r.result.lat_n, 100);
        assert.equal(r.result.rr_ok, 100);
        const anon = await loadgen(bin, [
          "pub",
          "--url",
          url,
          "--tlsca",
          file("ca.pem"),
          "--msgs",
          "10",
          "--timeout",
          "5s",
        ]);
        assert.equal(anon.code, 1, "without a client certificate the server refuses the connection");
        assert.equal(anon.result.ok, false);
      } finally {
        await srv.stop();
      }
    });
  });
});
