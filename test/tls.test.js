// TLS for clients, black-box over real sockets, each case against tsnats-server and Debian's
// nats-server (the oracle) with the same assertions: nats.js over TLS (with and without
// client certificates, tls:// URLs), a wrong CA, verify_and_map users and permissions,
// pinned certificates, allow_non_tls, the negative cases (plaintext on a TLS port, TLS on a
// plaintext port, a handshake that never completes, unknown/expired certificates), /connz and
// /varz TLS fields, HTTPS monitoring and certificate reload. The certificates are made at
// test time with openssl (test/helpers/certs.js) and removed afterwards.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, copyFileSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import tls from "node:tls";
import net from "node:net";
import https from "node:https";
import { X509Certificate, createHash, randomBytes } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { serverKinds, startServer, TSNATS_BIN } from "./helpers/servers.js";
import { RawConn } from "./helpers/raw.js";
import { waitUntil } from "./helpers/wait.js";
import { isOracle29 } from "./helpers/protocol-cases.js";
import { makeCerts } from "./helpers/certs.js";

const kinds = serverKinds();
let certs;
let confSeq = 0;

before(() => {
  certs = makeCerts();
});
after(() => certs?.cleanup());

/** Write a config file in the certificates' temp dir; returns its path. */
function conf(text) {
  const f = certs.file(`server-${++confSeq}.conf`);
  writeFileSync(f, text);
  return f;
}

function tlsBlock(extra = "") {
  return `tls { cert_file: "${certs.server.cert}", key_file: "${certs.server.key}", ca_file: "${certs.ca}"\n${extra}\n}\n`;
}

async function withServer(kind, text, fn, args = []) {
  const srv = await startServer(kind, ["-c", conf(text), ...args]);
  try {
    await fn(srv);
  } finally {
    await srv.stop();
  }
}

/** A raw connection that reads the plaintext INFO, then upgrades to TLS. */
async function rawTLS(port, opts = {}) {
  const plain = await RawConn.connect(port);
  const info = await plain.readInfo();
  const sock = tls.connect({ socket: plain.sock, ca: readFileSync(certs.ca), servername: "localhost", ...opts });
  const c = new RawConn(sock);
  const secure = await new Promise((resolve) => {
    sock.once("secureConnect", () => resolve(true));
    sock.once("error", (e) => resolve(e));
    sock.once("close", () => resolve(new Error("closed")));
  });
  return { c, info, secure, sock };
}

const esc = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const files = (p) => ({ certFile: p.cert, keyFile: p.key });

async function roundTrip(nc, subject = "tls.rt") {
  const sub = nc.subscribe(subject, { max: 1 });
  const got = (async () => {
    for await (const m of sub) return m.string();
  })();
  nc.publish(subject, "over tls");
  assert.equal(await got, "over tls");
}

/** A connection refused at the TLS level: nats.js rejects connect(). */
async function assertRefused(url, tlsOpts, label) {
  await assert.rejects(
    connect({ servers: url, reconnect: false, timeout: 3000, tls: tlsOpts }).then((nc) => nc.close()),
    (err) => err instanceof Error,
    label,
  );
}

function fetchHttps(url) {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: readFileSync(certs.ca), servername: "localhost" }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode, body }));
      })
      .on("error", reject);
  });
}

function freeMonitorPort(srv) {
  const m = /Starting https? monitor on [^\s]*:(\d+)/.exec(srv.output());
  return m ? Number(m[1]) : null;
}

for (const kind of kinds) {
  describe(`TLS for clients (${kind})`, () => {
    it("nats.js connects over TLS without a client certificate, with nats:// and tls:// URLs", async () => {
      await withServer(kind, tlsBlock(), async (srv) => {
        const raw = await RawConn.connect(srv.port);
        const info = await raw.readInfo();
        raw.close();
        assert.equal(info.tls_required, true);
        assert.equal(info.tls_verify, undefined);
        assert.equal(info.tls_available, undefined);
        for (const url of [srv.url, `tls://127.0.0.1:${srv.port}`]) {
          const nc = await connect({ servers: url, tls: { caFile: certs.ca } });
          await roundTrip(nc);
          await nc.close();
        }
        // a client that does not trust the server's CA refuses it
        await assertRefused(srv.url, { caFile: certs.otherCa }, "untrusted server certificate");
      });
    });

    it("verify: a client certificate from the CA is required; none, another CA's, an expired one and a server-only one are refused", async () => {
      await withServer(kind, tlsBlock("verify: true\ntimeout: 1"), async (srv) => {
        const raw = await RawConn.connect(srv.port);
        const info = await raw.readInfo();
        raw.close();
        assert.equal(info.tls_verify, true);
        const nc = await connect({ servers: srv.url, tls: { caFile: certs.ca, ...files(certs.client) } });
        await roundTrip(nc);
        await nc.close();
        await assertRefused(srv.url, { caFile: certs.ca }, "no client certificate");
        await assertRefused(srv.url, { caFile: certs.ca, ...files(certs.untrusted) }, "certificate of another CA");
        await assertRefused(srv.url, { caFile: certs.ca, ...files(certs.expired) }, "expired certificate");
        await assertRefused(
          srv.url,
          { caFile: certs.ca, ...files(certs.server) },
          "a certificate for servers only (extendedKeyUsage)",
        );
        await waitUntil(
          () => (srv.output().match(/TLS handshake error/g) ?? []).length >= 4,
          "four handshake errors logged",
        );
        assert.match(
          srv.output(),
          /TLS handshake error: tls: failed to verify (client )?certificate: x509: certificate specifies an incompatible key usage/,
        );
        assert.match(srv.output(), /\[ERR\] 127\.0\.0\.1:\d+ - cid:\d+ - TLS handshake error: /);
      });
    });

    it("a plaintext client on a TLS port gets INFO, then is closed without -ERR (TLS Handshake Failure)", async () => {
      await withServer(
        kind,
        tlsBlock(),
        async (srv) => {
          const c = await RawConn.connect(srv.port);
          await c.readInfo();
          c.write('CONNECT {"verbose":false}\r\nPING\r\n');
          assert.equal(await c.waitClosed(3000), true, "closed");
          assert.equal(c.text(), "", "nothing after INFO");
          await waitUntil(
            () => /TLS handshake error: tls: first record does not look like a TLS handshake/.test(srv.output()),
            "logged",
          );
          const m = await fetch(`http://127.0.0.1:${freeMonitorPort(srv)}/connz?state=closed`).then((r) => r.json());
          assert.equal(m.connections.at(-1).reason, "TLS Handshake Failure");
          // other clients are unaffected
          const nc = await connect({ servers: srv.url, tls: { caFile: certs.ca } });
          await roundTrip(nc);
          await nc.close();
        },
        ["-m", "-1"],
      );
    });

    it("a tls timeout beyond Node's longest timer (24.8 days) still waits for the handshake", async () => {
      await withServer(kind, tlsBlock("timeout: 3000000"), async (srv) => {
        const nc = await connect({ servers: srv.url, tls: { caFile: certs.ca } });
        await roundTrip(nc);
        await nc.close();
        assert.doesNotMatch(srv.output(), /TLS handshake (timeout|error)/);
      });
    });

    it("a client that resets during the handshake is logged with Go's read error", async () => {
      await withServer(kind, tlsBlock(), async (srv) => {
        const c = await RawConn.connect(srv.port);
        await c.readInfo();
        const me = c.sock.localPort;
        c.sock.resetAndDestroy();
        const logged = new RegExp(
          `\\[ERR\\] 127\\.0\\.0\\.1:${me} - cid:\\d+ - TLS handshake error: read tcp 127\\.0\\.0\\.1:${srv.port}->127\\.0\\.0\\.1:${me}: read: connection reset by peer\n`,
        );
        await waitUntil(() => logged.test(srv.output()), "logged").catch((e) => {
          throw new Error(`${e.message}; server output:\n${srv.output()}`);
        });
      });
    });

    it("a handshake that never completes is closed at the tls timeout", async () => {
      await withServer(kind, tlsBlock("timeout: 0.5"), async (srv) => {
        const c = await RawConn.connect(srv.port);
        await c.readInfo();
        c.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a record, never finished
        const t0 = Date.now();
        assert.equal(await c.waitClosed(3000), true, "closed");
        assert.ok(Date.now() - t0 >= 400, "not before the timeout");
        assert.equal(c.text(), "", "the -ERR queued at the timeout is not written (skip flush)");
        // nats-server's read deadline and its timer race: the failed read is logged each time
        // (70 of 70 runs, under load too), "TLS handshake timeout" only when the timer runs first
        const logged =
          /\[ERR\] 127\.0\.0\.1:\d+ - cid:\d+ - TLS handshake error: read tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: i\/o timeout/;
        await waitUntil(() => logged.test(srv.output()), "logged").catch((e) => {
          throw new Error(`${e.message}; server output:\n${srv.output()}`);
        });
      });
    });

    it("garbage, broken records, aborted handshakes and resets never take the server down", async () => {
      await withServer(kind, tlsBlock("verify: true\ntimeout: 0.3"), async (srv) => {
        const jobs = [];
        for (let i = 0; i < 40; i++) {
          jobs.push(
            new Promise((resolve) => {
              const s = net.connect(srv.port, "127.0.0.1");
              s.on("error", () => {});
              s.on("close", resolve);
              s.once("data", () => {
                const mode = i % 4;
                if (mode === 0) s.write(randomBytes(1 + i * 5));
                else if (mode === 1) s.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), randomBytes(50)]));
                else if (mode === 2) {
                  const t = tls.connect({ socket: s, rejectUnauthorized: false });
                  t.on("error", () => {});
                  setTimeout(() => t.destroy(), i % 20);
                } else setTimeout(() => s.resetAndDestroy(), i % 30);
                setTimeout(() => s.destroy(), 2000);
              });
            }),
          );
        }
        await Promise.all(jobs);
        const nc = await connect({ servers: srv.url, tls: { caFile: certs.ca, ...files(certs.client) } });
        await roundTrip(nc);
        await nc.close();
        assert.doesNotMatch(srv.output(), /Unexpected error|panic/);
      });
    });

    it("a TLS client on a plaintext port: -ERR 'Unknown Protocol Operation'", async () => {
      const srv = await startServer(kind, []);
      try {
        const c = await RawConn.connect(srv.port);
        await c.readInfo();
        // a ClientHello record header and the start of its body
        c.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xf5, 0x01, 0x00, 0x00, 0xf1, 0x03, 0x03]));
        assert.equal(await c.waitClosed(3000), true);
        assert.equal(c.text(), "-ERR 'Unknown Protocol Operation'\r\n");
      } finally {
        await srv.stop();
      }
    });

    it("over TLS, malformed and oversized CONNECT lines are refused as in plaintext", async () => {
      await withServer(kind, tlsBlock() + "max_control_line: 256\n", async (srv) => {
        for (const [line, expected] of [
          ['CONNECT {"verbose":false,\r\nPING\r\n', ""],
          ['CONNECT {"verbose":"yes"}\r\nPING\r\n', ""],
          [
            `CONNECT {"verbose":false,"name":"${"x".repeat(400)}"}\r\nPING\r\n`,
            "-ERR 'maximum control line exceeded'\r\n",
          ],
        ]) {
          const r = await rawTLS(srv.port);
          assert.equal(r.secure, true);
          r.c.write(line);
          assert.equal(await r.c.waitClosed(3000), true, "closed");
          assert.equal(r.c.text(), expected);
        }
        await waitUntil(
          () => /json: cannot unmarshal string into Go struct field ClientOpts.verbose of type bool/.test(srv.output()),
          "logged",
        );
        // other clients are unaffected
        const nc = await connect({ servers: srv.url, tls: { caFile: certs.ca } });
        await roundTrip(nc);
        await nc.close();
      });
    });

    it("verify_and_map: the certificate's email, DNS name or subject picks the user and its permissions", async () => {
      const users = `authorization { users: [
        { user: "CN=alice,OU=dev,O=tsnats test", permissions: { publish: "alice.>", subscribe: "alice.>" } }
        { user: "bob@example.com", permissions: { publish: "bob.>", subscribe: "bob.>" } }
        { user: "carol.example.com" }
      ] }\n`;
      await withServer(
        kind,
        tlsBlock("verify_and_map: true") + users,
        async (srv) => {
          const mon = freeMonitorPort(srv);
          for (const [who, id, subj] of [
            ["alice", certs.client, "alice.x"],
            ["bob", certs.clientEmail, "bob.x"],
            ["carol", certs.clientDns, "any"],
          ]) {
            const nc = await connect({ servers: srv.url, name: who, tls: { caFile: certs.ca, ...files(id) } });
            await roundTrip(nc, subj);
            const connz = await fetch(`http://127.0.0.1:${mon}/connz?auth=1`).then((r) => r.json());
            const ci = connz.connections.find((x) => x.name === who);
            assert.equal(
              ci.authorized_user,
              { alice: "CN=alice,OU=dev,O=tsnats test", bob: "bob@example.com", carol: "carol.example.com" }[who],
            );
            await nc.close();
          }
          // alice may not publish outside alice.>
          const c = await rawTLS(srv.port, {
            cert: readFileSync(certs.client.cert),
            key: readFileSync(certs.client.key),
          });
          assert.equal(c.secure, true);
          c.c.write('CONNECT {"verbose":false,"pedantic":false}\r\nPUB bob.x 1\r\nx\r\n');
          assert.equal(await c.c.flush(), "-ERR 'Permissions Violation for Publish to \"bob.x\"'\r\n");
          c.c.close();
          // a certificate of no configured user is refused with the usual violation
          const u = await rawTLS(srv.port, {
            cert: readFileSync(certs.expired.cert),
            key: readFileSync(certs.expired.key),
          });
          if (u.secure === true) {
            u.c.write('CONNECT {"verbose":false}\r\nPING\r\n');
            await u.c.waitClosed(3000);
            assert.ok(!u.c.text().includes("PONG"), "not logged in");
          }
        },
        ["-m", "-1"],
      );
    });

    it("verify_and_map: a user named by the subject's RDNs in another order matches", async () => {
      const users = `authorization { users: [ { user: "O=tsnats test, OU=dev, CN=alice", permissions: { publish: "rdn.>", subscribe: "rdn.>" } } ] }\n`;
      await withServer(
        kind,
        tlsBlock("verify_and_map: true") + users,
        async (srv) => {
          const nc = await connect({ servers: srv.url, tls: { caFile: certs.ca, ...files(certs.client) } });
          await roundTrip(nc, "rdn.x");
          await nc.close();
          assert.match(
            srv.output(),
            /\[DBG\] .* - Using DistinguishedNameMatch for auth \["O=tsnats test, OU=dev, CN=alice"\]/,
          );
          await assertRefused(srv.url, { caFile: certs.ca, ...files(certs.clientEmail) }, "bob maps to no user");
          await waitUntil(
            () => /User in cert \["CN=bob,O=tsnats test"\], not found/.test(srv.output()),
            "not found logged",
          );
        },
        ["-D"],
      );
    });

    it("pinned_certs: only the pinned client key is accepted", async () => {
      await withServer(kind, tlsBlock(`verify: true\npinned_certs: ["${certs.spki("client")}"]`), async (srv) => {
        const nc = await connect({ servers: srv.url, tls: { caFile: certs.ca, ...files(certs.client) } });
        await roundTrip(nc);
        await nc.close();
        await assertRefused(srv.url, { caFile: certs.ca, ...files(certs.clientEmail) }, "not pinned");
        await waitUntil(() => /TLS handshake error: certificate not pinned/.test(srv.output()), "logged");
      });
    });

    it("allow_non_tls: INFO says tls_available; plaintext and TLS clients both connect", async () => {
      await withServer(kind, tlsBlock() + "allow_non_tls: true\n", async (srv) => {
        const raw = await RawConn.connect(srv.port);
        const info = await raw.readInfo();
        assert.equal(info.tls_required, undefined);
        assert.equal(info.tls_available, true);
        raw.write('CONNECT {"verbose":false}\r\n');
        assert.equal(await raw.flush(), "");
        raw.close();
        const nc = await connect({ servers: srv.url, tls: { caFile: certs.ca } });
        await roundTrip(nc);
        await nc.close();
      });
    });

    it("/connz lists a connection whose handshake is under way, without TLS fields", async () => {
      await withServer(
        kind,
        tlsBlock("timeout: 5"),
        async (srv) => {
          const c = await RawConn.connect(srv.port);
          const info = await c.readInfo();
          c.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a record, never finished
          const r = await fetch(`http://127.0.0.1:${freeMonitorPort(srv)}/connz`);
          assert.equal(r.status, 200);
          const ci = (await r.json()).connections.find((x) => x.cid === info.client_id);
          assert.ok(ci !== undefined, "listed");
          assert.equal(ci.tls_version, undefined);
          assert.equal(ci.tls_cipher_suite, undefined);
          c.close();
        },
        ["-m", "-1"],
      );
    });

    it("/connz and /varz show the TLS fields as nats-server does", async () => {
      await withServer(
        kind,
        tlsBlock("verify: true\ntimeout: 3"),
        async (srv) => {
          const mon = freeMonitorPort(srv);
          const nc = await connect({
            servers: srv.url,
            name: "tlsconn",
            tls: { caFile: certs.ca, ...files(certs.client) },
          });
          await nc.flush();
          const connz = await fetch(`http://127.0.0.1:${mon}/connz`).then((r) => r.json());
          const ci = connz.connections.find((x) => x.name === "tlsconn");
          assert.equal(ci.tls_version, "1.3");
          assert.equal(ci.tls_cipher_suite, "TLS_AES_128_GCM_SHA256");
          const keys = Object.keys(ci);
          assert.ok(
            keys.indexOf("tls_version") > keys.indexOf("version") &&
              keys.indexOf("tls_cipher_suite") === keys.indexOf("tls_version") + 1,
          );
          if (ci.tls_peer_certs !== undefined || !isOracle29(kind)) {
            const der = new X509Certificate(readFileSync(certs.client.cert)).raw;
            assert.deepEqual(ci.tls_peer_certs, [
              {
                subject: "CN=alice,OU=dev,O=tsnats test",
                spki_sha256: certs.spki("client"),
                cert_sha256: createHash("sha256").update(der).digest("hex"),
              },
            ]);
          }
          const varz = await fetch(`http://127.0.0.1:${mon}/varz`).then((r) => r.json());
          assert.equal(varz.tls_required, true);
          assert.equal(varz.tls_verify, true);
          assert.equal(varz.tls_timeout, 3);
          assert.equal(varz.auth_timeout, 4, "with TLS the auth timeout defaults to the tls timeout + 1 s");
          await nc.close();
          // a closed connection keeps them
          let cc;
          for (let i = 0; i < 300 && cc === undefined; i++) {
            const closed = await fetch(`http://127.0.0.1:${mon}/connz?state=closed`).then((r) => r.json());
            cc = closed.connections.find((x) => x.name === "tlsconn");
            if (cc === undefined) await new Promise((r) => setTimeout(r, 10));
          }
          assert.ok(cc !== undefined, "in the closed ring");
          assert.equal(cc.tls_version, "1.3");
          assert.equal(cc.tls_cipher_suite, "TLS_AES_128_GCM_SHA256");
        },
        ["-m", "-1"],
      );
    });

    it("HTTPS monitoring (https_port) uses the tls block's certificate", async () => {
      await withServer(kind, tlsBlock("verify: true") + "https_port: -1\n", async (srv) => {
        assert.match(srv.output(), /Starting https monitor on /);
        const port = freeMonitorPort(srv);
        const r = await fetchHttps(`https://127.0.0.1:${port}/varz`);
        assert.equal(r.status, 200);
        const v = JSON.parse(r.body);
        assert.equal(v.https_port, -1);
        assert.equal(v.http_port, 0);
      });
    });

    it("HTTPS monitoring answers clients with and without SNI, with the certificate of the last reload", async () => {
      const cert = certs.file(`https-reload-${kind}.pem`);
      const key = certs.file(`https-reload-${kind}-key.pem`);
      copyFileSync(certs.server.cert, cert);
      copyFileSync(certs.server.key, key);
      await withServer(kind, `tls { cert_file: "${cert}", key_file: "${key}" }\nhttps_port: -1\n`, async (srv) => {
        const port = freeMonitorPort(srv);
        // an address, not a name, is not sent as SNI (curl https://127.0.0.1:8222/varz)
        const served = (sni) =>
          new Promise((resolve, reject) => {
            const s = tls.connect(
              { port, host: "127.0.0.1", ca: readFileSync(certs.ca), ...(sni ? { servername: "localhost" } : {}) },
              () => {
                const fp = s.getPeerX509Certificate().fingerprint256;
                s.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                let body = "";
                s.on("data", (d) => (body += d));
                s.on("end", () => resolve({ fp, status: body.slice(0, 12) }));
              },
            );
            s.on("error", reject);
          });
        const fp1 = new X509Certificate(readFileSync(certs.server.cert)).fingerprint256;
        const fp2 = new X509Certificate(readFileSync(certs.server2.cert)).fingerprint256;
        for (const sni of [false, true])
          assert.deepEqual(await served(sni), { fp: fp1, status: "HTTP/1.1 200" }, `SNI ${sni}`);
        copyFileSync(certs.server2.cert, cert);
        copyFileSync(certs.server2.key, key);
        process.kill(srv.pid, "SIGHUP");
        await waitUntil(() => /Reloaded server configuration/.test(srv.output()), "reloaded");
        for (const sni of [false, true])
          assert.deepEqual(await served(sni), { fp: fp2, status: "HTTP/1.1 200" }, `SNI ${sni}`);
      });
    });

    it("HTTPS monitoring: a plaintext request is told so in plaintext, a failed handshake is logged", async () => {
      await withServer(kind, tlsBlock() + "https_port: -1\n", async (srv) => {
        const port = freeMonitorPort(srv);
        const plain = await RawConn.connect(port);
        plain.write("GET /varz HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assert.equal(await plain.waitClosed(3000), true, "closed");
        assert.equal(plain.text(), "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
        const junk = await RawConn.connect(port);
        junk.write(Buffer.from("\x00\x01\x02garbage\r\n\r\n", "latin1"));
        assert.equal(await junk.waitClosed(3000), true, "closed");
        assert.equal(junk.text(), "");
        const logged =
          /\[ERR\] monitoring: TLS handshake error from 127\.0\.0\.1:\d+: tls: first record does not look like a TLS handshake\n/;
        await waitUntil(() => logged.test(srv.output()), "logged").catch((e) => {
          throw new Error(`${e.message}; server output:\n${srv.output()}`);
        });
        const lines = srv.output().match(/monitoring: TLS handshake error/g) ?? [];
        assert.equal(lines.length, 1, "the plaintext request is answered, not logged");
        assert.equal((await fetchHttps(`https://127.0.0.1:${port}/varz`)).status, 200);
      });
    });

    it("a reload picks up a new certificate for new connections; open ones keep going", async () => {
      const cert = certs.file(`reload-${kind}.pem`);
      const key = certs.file(`reload-${kind}-key.pem`);
      copyFileSync(certs.server.cert, cert);
      copyFileSync(certs.server.key, key);
      const text = `tls { cert_file: "${cert}", key_file: "${key}" }\n`;
      await withServer(kind, text, async (srv) => {
        const fp = async () => {
          const r = await rawTLS(srv.port);
          const f = r.sock.getPeerX509Certificate().fingerprint256;
          r.c.close();
          return f;
        };
        const nc = await connect({ servers: srv.url, tls: { caFile: certs.ca } });
        const before = await fp();
        assert.equal(before, new X509Certificate(readFileSync(certs.server.cert)).fingerprint256);
        copyFileSync(certs.server2.cert, cert);
        copyFileSync(certs.server2.key, key);
        process.kill(srv.pid, "SIGHUP");
        await waitUntil(() => /Reloaded server configuration/.test(srv.output()), "reloaded");
        assert.match(srv.output(), /Reloaded: tls = enabled/);
        assert.equal(await fp(), new X509Certificate(readFileSync(certs.server2.cert)).fingerprint256);
        await roundTrip(nc);
        // a certificate file that no longer loads refuses the reload; the server keeps the last one
        writeFileSync(cert, "not a certificate\n");
        process.kill(srv.pid, "SIGHUP");
        await waitUntil(
          () =>
            /\[ERR\] Failed to reload server configuration: .*error parsing X509 certificate\/key pair/.test(
              srv.output(),
            ),
          "reload refused",
        );
        copyFileSync(certs.server2.cert, cert);
        assert.equal(await fp(), new X509Certificate(readFileSync(certs.server2.cert)).fingerprint256);
        await roundTrip(nc);
        await nc.close();
      });
    });

    it("unknown cipher suites and curves, bad versions and missing files are refused with nats-server's config error", () => {
      const missing = certs.file("missing.pem");
      for (const [block, text] of [
        [tlsBlock(`cipher_suites: ["TLS_NOPE"]`), "unrecognized cipher TLS_NOPE"],
        [tlsBlock(`curve_preferences: ["CurveP999"]`), "unrecognized curve preference CurveP999"],
        // min_version arrived in nats-server 2.10
        ...(isOracle29(kind)
          ? []
          : [[tlsBlock(`min_version: "1.1"`), "error parsing tls config: unsupported TLS version: TLS 1.1"]]),
        [
          tlsBlock(`verify_cert_and_check_known_urls: true`),
          "verify_cert_and_check_known_urls not supported in this context",
        ],
        [
          `tls { cert_file: "${missing}", key_file: "${certs.server.key}" }\n`,
          `error parsing X509 certificate/key pair: open ${missing}: no such file or directory`,
        ],
        [`tls { cert_file: "${certs.server.cert}" }\n`, "missing 'key_file' in TLS configuration"],
      ]) {
        const f = conf(block);
        const cmd = kind === "tsnats" ? process.execPath : "/usr/sbin/nats-server";
        const args = kind === "tsnats" ? [TSNATS_BIN, "-t", "-c", f] : ["-t", "-c", f];
        let err = "";
        try {
          execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
        } catch (e) {
          err = String(e.stderr);
        }
        assert.ok(new RegExp(`${esc(f)}:\\d+:\\d+: ${esc(text)}`).test(err), `${text}\n${err}`);
      }
    });
  });
}

describe("TLS options only in 2.10 (tsnats)", () => {
  it("handshake_first: the handshake comes before INFO; nats.js with handshakeFirst connects", async () => {
    await withServer(
      "tsnats",
      tlsBlock("handshake_first: true"),
      async (srv) => {
        const c = await RawConn.connect(srv.port);
        // nothing in plaintext: the server waits for the client's hello
        assert.equal(await c.waitClosed(300), false);
        assert.equal(c.text(), "");
        c.close();
        const nc = await connect({ servers: srv.url, name: "first", tls: { caFile: certs.ca, handshakeFirst: true } });
        await roundTrip(nc);
        const connz = await fetch(`http://127.0.0.1:${freeMonitorPort(srv)}/connz`).then((r) => r.json());
        assert.equal(connz.connections.find((x) => x.name === "first").tls_first, true);
        await nc.close();
      },
      ["-m", "-1"],
    );
  });

  it("handshake_first: auto falls back to a plaintext INFO for clients that wait for it", async () => {
    await withServer("tsnats", tlsBlock('handshake_first: "auto"'), async (srv) => {
      const nc1 = await connect({ servers: srv.url, tls: { caFile: certs.ca, handshakeFirst: true } });
      const nc2 = await connect({ servers: srv.url, tls: { caFile: certs.ca } });
      await roundTrip(nc1, "a");
      await roundTrip(nc2, "b");
      await nc1.close();
      await nc2.close();
    });
  });

  it("embedded: startServer({ tls }) serves TLS clients; url is tls://; a bad file throws nats-server's text", async () => {
    const { startServer: embed } = await import("../dist/server/index.js");
    const srv = await embed({ tls: { cert_file: certs.server.cert, key_file: certs.server.key } });
    try {
      assert.match(srv.url, /^tls:\/\/127\.0\.0\.1:\d+$/);
      const nc = await connect({ servers: srv.url, tls: { caFile: certs.ca } });
      await roundTrip(nc);
      await nc.close();
    } finally {
      await srv.shutdown();
    }
    await assert.rejects(
      (async () => embed({ tls: { cert_file: certs.file("nope.pem"), key_file: certs.server.key } }))(),
      (e) =>
        e.message.includes(
          `error parsing X509 certificate/key pair: open ${certs.file("nope.pem")}: no such file or directory`,
        ),
    );
  });

  it("the --tls flags: -tls=false turns a file's tls block off; missing key is refused", async () => {
    const srv = await startServer("tsnats", ["--tls", "--tlscert", certs.server.cert, "--tlskey", certs.server.key]);
    try {
      const nc = await connect({ servers: srv.url, tls: { caFile: certs.ca } });
      await roundTrip(nc);
      await nc.close();
    } finally {
      await srv.stop();
    }
    await withServer(
      "tsnats",
      tlsBlock(),
      async (off) => {
        const raw = await RawConn.connect(off.port);
        const info = await raw.readInfo();
        raw.write('CONNECT {"verbose":false}\r\n');
        assert.equal(await raw.flush(), "");
        raw.close();
        assert.equal(info.tls_required, undefined);
      },
      ["--tls=false"],
    );
    let err = "";
    try {
      execFileSync(process.execPath, [TSNATS_BIN, "--tls", "--tlscert", certs.server.cert], {
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      err = String(e.stderr);
    }
    assert.match(err, /TLS Server private key must be present and valid/);
  });
});
