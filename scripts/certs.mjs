// Certificates made with openssl when they are needed (no private key is ever checked in), for
// the tests (test/helpers/certs.js re-exports this) and the TLS cases of `npm run bench`.
// makeCerts(): a small CA, a server certificate for 127.0.0.1/localhost, client certificates
// (one with an email SAN, one with a DNS SAN, one only a subject), an expired client
// certificate, and a second CA that the server does not trust. makeServerCerts(): only the CA
// and the server certificate. Everything lives in a temp dir; cleanup() removes it.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { createHash, X509Certificate } from "node:crypto";
import os from "node:os";
import path from "node:path";

function ossl(args, cwd) {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function makeCA(dir, name, cn) {
  ossl(
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/O=tsnats test/CN=${cn}`,
      "-keyout",
      `${name}-key.pem`,
      "-out",
      `${name}.pem`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    dir,
  );
}

function makeLeaf(dir, name, ca, subj, ext, days = "2") {
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  ossl(
    ["req", "-newkey", "rsa:2048", "-nodes", "-subj", subj, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`],
    dir,
  );
  const args = [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}-key.pem`,
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-extfile",
    `${name}.ext`,
  ];
  if (days.startsWith("-")) {
    // an expired certificate: valid from two days ago until yesterday (openssl ca sets the dates)
    const d = (n) => new Date(Date.now() + n * 86400000).toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
    writeFileSync(path.join(dir, "index.txt"), "");
    writeFileSync(path.join(dir, "serial"), "1000\n");
    writeFileSync(
      path.join(dir, "ca.cnf"),
      [
        "[ca]",
        "default_ca=d",
        "[d]",
        `dir=${dir}`,
        "database=$dir/index.txt",
        "serial=$dir/serial",
        "new_certs_dir=$dir",
        "default_md=sha256",
        "policy=p",
        "copy_extensions=none",
        "[p]",
        "O=optional",
        "CN=supplied",
        "",
      ].join("\n"),
    );
    ossl(
      [
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-cert",
        `${ca}.pem`,
        "-keyfile",
        `${ca}-key.pem`,
        "-in",
        `${name}.csr`,
        "-out",
        `${name}.pem`,
        "-extfile",
        `${name}.ext`,
        "-startdate",
        d(-2),
        "-enddate",
        d(-1),
        "-notext",
      ],
      dir,
    );
    return;
  }
  ossl([...args, "-days", days], dir);
}

const SERVER_EXT =
  "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n";

/** The CA and a server certificate for 127.0.0.1/localhost (server-side TLS, no client cert),
 * in a new temp dir; file(name) is the path of a file in it. */
export function makeServerCerts(prefix = "tsnats-tls-") {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  makeCA(dir, "ca", "tsnats test CA");
  makeLeaf(dir, "server", "ca", "/O=tsnats test/CN=localhost", SERVER_EXT);
  const f = (n) => path.join(dir, n);
  return {
    dir,
    ca: f("ca.pem"),
    server: { cert: f("server.pem"), key: f("server-key.pem") },
    file: f,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function makeCerts() {
  const base = makeServerCerts();
  const { dir } = base;
  makeCA(dir, "other-ca", "untrusted CA");
  const clientExt = (san) =>
    `${san ? `subjectAltName=${san}\n` : ""}extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n`;
  makeLeaf(dir, "server2", "ca", "/O=tsnats test/CN=localhost", SERVER_EXT);
  makeLeaf(dir, "client", "ca", "/O=tsnats test/OU=dev/CN=alice", clientExt(""));
  makeLeaf(dir, "client-email", "ca", "/O=tsnats test/CN=bob", clientExt("email:bob@example.com"));
  makeLeaf(dir, "client-dns", "ca", "/O=tsnats test/CN=carol", clientExt("DNS:carol.example.com"));
  makeLeaf(dir, "untrusted", "other-ca", "/O=tsnats test/CN=mallory", clientExt(""));
  makeLeaf(dir, "expired", "ca", "/O=tsnats test/CN=old", clientExt(""), "-1");
  const f = base.file;
  const spki = (n) => {
    const c = new X509Certificate(readFileSync(f(`${n}.pem`)));
    return createHash("sha256")
      .update(c.publicKey.export({ type: "spki", format: "der" }))
      .digest("hex");
  };
  return {
    ...base,
    otherCa: f("other-ca.pem"),
    server2: { cert: f("server2.pem"), key: f("server2-key.pem") },
    client: { cert: f("client.pem"), key: f("client-key.pem") },
    clientEmail: { cert: f("client-email.pem"), key: f("client-email-key.pem") },
    clientDns: { cert: f("client-dns.pem"), key: f("client-dns-key.pem") },
    untrusted: { cert: f("untrusted.pem"), key: f("untrusted-key.pem") },
    expired: { cert: f("expired.pem"), key: f("expired-key.pem") },
    spki,
  };
}
