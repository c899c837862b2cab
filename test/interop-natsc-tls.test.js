// nats.c (Debian's libnats, built with TLS) over TLS and with NKey users: compile
// test/c/natsc_tls.c once and run it against every server kind, with certificates made at
// test time (test/helpers/certs.js): TLS with and without a client certificate, a server CA
// the client does not trust, a client certificate the server does not trust, an nkey login.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createUser } from "@nats-io/nkeys";
import { ROOT, serverKinds, startServer } from "./helpers/servers.js";
import { makeCerts } from "./helpers/certs.js";

const SOURCE = path.join(ROOT, "test", "c", "natsc_tls.c");
const NATS_HEADER = "/usr/include/nats/nats.h";

function missing() {
  try {
    execFileSync("gcc", ["--version"], { stdio: "ignore" });
  } catch {
    return "gcc (not on PATH)";
  }
  return existsSync(NATS_HEADER) ? null : `${NATS_HEADER} (install libnats-dev)`;
}

/** Run the program; its stdout lines (it exits non-zero on a failed check). */
function run(binary, args) {
  try {
    return execFileSync(binary, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30000 });
  } catch (e) {
    return `${e.stdout ?? ""}${e.stderr ?? ""}(exit ${e.status})`;
  }
}

const why = missing();
if (why) {
  // a failure naming what to install, never a skip (as test/helpers/natsc.js's suites)
  test("nats.c TLS interop", () => assert.fail(`cannot build ${SOURCE}, missing: ${why}`));
} else {
  describe("nats.c (libnats) over TLS and with NKeys", () => {
    let certs;
    let binary;
    const user = createUser();
    before(() => {
      certs = makeCerts();
      binary = certs.file("natsc_tls");
      execFileSync("gcc", ["-std=c11", "-Wall", "-Wextra", "-O1", "-o", binary, SOURCE, "-lnats", "-lpthread"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
    });
    after(() => certs?.cleanup());

    for (const kind of serverKinds()) {
      test(`nats.c TLS against ${kind}`, async () => {
        const conf = certs.file(`natsc-${kind}.conf`);
        writeFileSync(
          conf,
          `tls { cert_file: "${certs.server.cert}", key_file: "${certs.server.key}", ca_file: "${certs.ca}", verify: true }\n`,
        );
        const srv = await startServer(kind, ["-c", conf]);
        try {
          const url = `tls://127.0.0.1:${srv.port}`;
          assert.equal(
            run(binary, ["tls", url, certs.ca, certs.client.cert, certs.client.key]).trim(),
            "ok tls_roundtrip",
          );
          assert.equal(run(binary, ["tls_refused", url, certs.ca]).trim(), "ok tls_refused", "no client certificate");
          assert.equal(
            run(binary, ["tls_refused", url, certs.otherCa, certs.client.cert, certs.client.key]).trim(),
            "ok tls_refused",
            "server CA not trusted",
          );
          assert.equal(
            run(binary, ["tls_refused", url, certs.ca, certs.untrusted.cert, certs.untrusted.key]).trim(),
            "ok tls_refused",
            "client CA not trusted",
          );
        } finally {
          await srv.stop();
        }
        const plainConf = certs.file(`natsc-plain-${kind}.conf`);
        writeFileSync(plainConf, `tls { cert_file: "${certs.server.cert}", key_file: "${certs.server.key}" }\n`);
        const srv2 = await startServer(kind, ["-c", plainConf]);
        try {
          assert.equal(
            run(binary, ["tls", `nats://127.0.0.1:${srv2.port}`, certs.ca]).trim(),
            "ok tls_roundtrip",
            "no client certificate needed",
          );
        } finally {
          await srv2.stop();
        }
      });

      test(`nats.c NKey login against ${kind}`, async () => {
        const conf = certs.file(`natsc-nkey-${kind}.conf`);
        writeFileSync(conf, `authorization { users: [ { nkey: ${user.getPublicKey()} } ] }\n`);
        const seed = certs.file("user.nk");
        writeFileSync(seed, `${new TextDecoder().decode(user.getSeed())}\n`);
        const srv = await startServer(kind, ["-c", conf]);
        try {
          assert.equal(run(binary, ["nkey", srv.url, user.getPublicKey(), seed]).trim(), "ok nkey_roundtrip");
          const other = createUser();
          const otherSeed = certs.file("other.nk");
          writeFileSync(otherSeed, `${new TextDecoder().decode(other.getSeed())}\n`);
          assert.match(
            run(binary, ["nkey", srv.url, other.getPublicKey(), otherSeed]),
            /FAIL nkey_roundtrip: connect: Authentication Violation/,
          );
        } finally {
          await srv.stop();
        }
      });
    }
  });
}
