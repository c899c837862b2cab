// TLS for client connections with Node's own `tls`, following nats-server's createClient:
// INFO in plaintext, then the handshake, then CONNECT; or the handshake first
// (handshake_first), optionally falling back to plaintext INFO when the client sends nothing
// within the fallback delay; or, with allow_non_tls, the first byte decides (0x16: TLS).
// Cipher suite and curve names are Go's (as in nats-server's config), mapped to OpenSSL's.
import tls from "node:tls";
import { createHash, type X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import type { TLSOptions } from "./options.js";
import { timerMs } from "./duration.js";
import { goReadFileError } from "./oserror.js";
import type { ClientConnection } from "./conn/client.js";
import type { ServerInfo } from "./server.js";

/** nats-server's cipherMap: Go name -> OpenSSL name. */
export const CIPHERS: Record<string, string> = {
  TLS_RSA_WITH_RC4_128_SHA: "RC4-SHA",
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: "DES-CBC3-SHA",
  TLS_RSA_WITH_AES_128_CBC_SHA: "AES128-SHA",
  TLS_RSA_WITH_AES_128_CBC_SHA256: "AES128-SHA256",
  TLS_RSA_WITH_AES_256_CBC_SHA: "AES256-SHA",
  TLS_RSA_WITH_AES_256_GCM_SHA384: "AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: "ECDHE-ECDSA-RC4-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: "ECDHE-ECDSA-AES128-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: "ECDHE-ECDSA-AES256-SHA",
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: "ECDHE-RSA-RC4-SHA",
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: "ECDHE-RSA-DES-CBC3-SHA",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: "ECDHE-RSA-AES128-SHA",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: "ECDHE-RSA-AES128-SHA256",
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: "ECDHE-ECDSA-AES128-SHA256",
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: "ECDHE-RSA-AES256-SHA",
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: "ECDHE-RSA-AES128-GCM-SHA256",
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: "ECDHE-ECDSA-AES128-GCM-SHA256",
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: "ECDHE-RSA-AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: "ECDHE-ECDSA-AES256-GCM-SHA384",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: "ECDHE-RSA-CHACHA20-POLY1305",
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: "ECDHE-ECDSA-CHACHA20-POLY1305",
  TLS_AES_128_GCM_SHA256: "TLS_AES_128_GCM_SHA256",
  TLS_AES_256_GCM_SHA384: "TLS_AES_256_GCM_SHA384",
  TLS_CHACHA20_POLY1305_SHA256: "TLS_CHACHA20_POLY1305_SHA256",
};

/** nats-server's curvePreferenceMap: Go name -> OpenSSL name. */
export const CURVES: Record<string, string> = {
  X25519: "X25519",
  CurveP256: "P-256",
  CurveP384: "P-384",
  CurveP521: "P-521",
};

/** nats-server's defaultCipherSuites and defaultCurvePreferences. */
const DEFAULT_CIPHERS = [
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
];
const DEFAULT_CURVES = ["X25519", "CurveP256", "CurveP384", "CurveP521"];
/** Go does not let TLS 1.3 suites be configured: all three are always on. */
const TLS13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];

const GO_NAME_BY_OPENSSL = new Map<string, string>(Object.entries(CIPHERS).map(([g, o]) => [o, g]));

function read(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(goReadFileError(file, e));
  }
}

/** A TLS configuration ready for connections: rebuilt on reload, kept by open connections. */
export interface TLSContext {
  readonly opts: TLSOptions;
  readonly secureContext: tls.SecureContext;
  /** What secureContext was made from (a tls.Server's default context takes these). */
  readonly secureOptions: tls.SecureContextOptions;
  readonly pinned: Set<string> | null;
  /** SHA-256 of the files read: a reload tells whether they changed. */
  readonly fingerprint: string;
}

/** Read the certificate, key and CA and build the context; throws with nats-server's texts. */
export function buildTLSContext(t: TLSOptions): TLSContext {
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  if (t.cert_file !== "" && t.key_file !== "") {
    try {
      cert = read(t.cert_file);
      key = read(t.key_file);
      if (!cert.toString("latin1").includes("-----BEGIN"))
        throw new Error("tls: failed to find any PEM data in certificate input");
      if (!key.toString("latin1").includes("-----BEGIN"))
        throw new Error("tls: failed to find any PEM data in key input");
    } catch (e) {
      throw new Error(`error parsing X509 certificate/key pair: ${(e as Error).message}`);
    }
  }
  let ca: Buffer | undefined;
  if (t.ca_file !== "") {
    ca = read(t.ca_file);
    if (!ca.toString("latin1").includes("-----BEGIN CERTIFICATE-----"))
      throw new Error("failed to parse root ca certificate");
  }
  const suites = t.cipher_suites.length > 0 ? t.cipher_suites : DEFAULT_CIPHERS;
  const tls12 = suites.filter((s) => !TLS13.includes(s)).map((s) => CIPHERS[s]);
  const curves = (t.curve_preferences.length > 0 ? t.curve_preferences : DEFAULT_CURVES).map((c) => CURVES[c]);
  const secureOptions: tls.SecureContextOptions = {
    cert,
    key,
    ca,
    ciphers: [...TLS13, ...tls12].join(":"),
    ecdhCurve: curves.join(":"),
    minVersion: t.min_version === "1.3" ? "TLSv1.3" : "TLSv1.2",
    honorCipherOrder: true,
  };
  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext(secureOptions);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const msg =
      err.code === "ERR_OSSL_X509_KEY_VALUES_MISMATCH" || /key values mismatch/.test(err.message)
        ? "tls: private key does not match public key"
        : err.message;
    if (ca !== undefined && /certificate/i.test(msg) && cert === undefined)
      throw new Error("failed to parse root ca certificate");
    throw new Error(`error parsing X509 certificate/key pair: ${msg}`);
  }
  const h = createHash("sha256");
  for (const b of [cert, key, ca]) h.update(b ?? Buffer.alloc(0)).update("\0");
  return {
    opts: t,
    secureContext,
    secureOptions,
    pinned: t.pinned_certs.length > 0 ? new Set(t.pinned_certs) : null,
    fingerprint: h.digest("hex"),
  };
}

/** SHA-256 (hex) of a certificate's DER SubjectPublicKeyInfo: pinned_certs' key id. */
export function spkiSha256(cert: X509Certificate): string {
  const der = cert.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex");
}

/** Go's pkix.Name String(): the RDNs most specific first, comma separated. */
export function goSubject(cert: X509Certificate): string {
  const GO: Record<string, string> = {
    C: "C",
    O: "O",
    OU: "OU",
    CN: "CN",
    serialNumber: "SERIALNUMBER",
    L: "L",
    ST: "ST",
    street: "STREET",
    postalCode: "POSTALCODE",
  };
  const parts = cert.subject.split("\n").filter((p) => p !== "");
  return parts
    .reverse()
    .map((p) => {
      const i = p.indexOf("=");
      const type = p.slice(0, i);
      return `${GO[type] ?? type}=${escapeDN(p.slice(i + 1))}`;
    })
    .join(",");
}

function escapeDN(v: string): string {
  let out = v.replace(/([,+"\\<>;])/g, "\\$1");
  if (out.startsWith(" ") || out.startsWith("#")) out = `\\${out}`;
  if (out.endsWith(" ")) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** The names verify_and_map looks users up by, in nats-server's order. */
export interface CertNames {
  emails: string[];
  dns: string[];
  uris: string[];
  /** Go's string of the subject. */
  subject: string;
  /** The subject's RDNs as (type, value) pairs, for a DN match in any order. */
  rdns: [string, string][];
}

export function certNames(cert: X509Certificate): CertNames {
  const emails: string[] = [];
  const dns: string[] = [];
  const uris: string[] = [];
  for (const entry of (cert.subjectAltName ?? "").split(/,\s*/)) {
    const i = entry.indexOf(":");
    if (i < 0) continue;
    const kind = entry.slice(0, i);
    const val = entry.slice(i + 1).replace(/^"(.*)"$/, "$1");
    if (kind === "email") emails.push(val);
    else if (kind === "DNS") dns.push(val);
    else if (kind === "URI") uris.push(val);
  }
  const rdns: [string, string][] = [];
  for (const p of cert.subject.split("\n")) {
    const i = p.indexOf("=");
    if (i > 0) rdns.push([p.slice(0, i), p.slice(i + 1)]);
  }
  return { emails, dns, uris, subject: goSubject(cert), rdns };
}

/** Parse a distinguished name written as a user name ("CN=alice,O=Org"); null when it is not one. */
export function parseDN(s: string): [string, string][] | null {
  const out: [string, string][] = [];
  let cur = "";
  const parts: string[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === "\\" && i + 1 < s.length) {
      cur += s[++i];
      continue;
    }
    if (ch === "," || ch === "+") {
      parts.push(cur);
      cur = "";
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  for (const p of parts) {
    const i = p.indexOf("=");
    if (i <= 0) return null;
    out.push([p.slice(0, i).trim().toUpperCase(), p.slice(i + 1).trim()]);
  }
  return out;
}

/** Same RDNs, in any order (nats-server's ldap DN Equal / RDNsMatch). */
export function sameRDNs(a: [string, string][], b: [string, string][]): boolean {
  if (a.length !== b.length) return false;
  const key = ([t, v]: [string, string]) => `${t.toUpperCase()}=${v}`;
  const as = a.map(key).sort();
  const bs = b.map(key).sort();
  return as.every((x, i) => x === bs[i]);
}

/** The fields /connz shows for a TLS connection (nats-server's ConnInfo tls_*). */
export interface TLSConnInfo {
  tls_version: string;
  tls_cipher_suite: string;
  tls_peer_certs?: { subject: string; spki_sha256: string; cert_sha256: string }[];
  tls_first?: boolean;
}

/** Null until the handshake is done (a socket mid-handshake has a protocol but no cipher). */
export function tlsConnInfo(s: tls.TLSSocket, first: boolean): TLSConnInfo | null {
  const proto = s.getProtocol();
  const cipher = proto === null ? undefined : (s.getCipher() as tls.CipherNameAndProtocol | undefined);
  if (proto === null || cipher === undefined) return null;
  const info: TLSConnInfo = {
    tls_version: proto.replace(/^TLSv/, ""),
    tls_cipher_suite: GO_NAME_BY_OPENSSL.get(cipher.name) ?? cipher.standardName ?? cipher.name,
  };
  const peer = s.getPeerX509Certificate();
  if (peer !== undefined) {
    info.tls_peer_certs = [
      {
        subject: goSubject(peer),
        spki_sha256: spkiSha256(peer),
        cert_sha256: createHash("sha256").update(peer.raw).digest("hex"),
      },
    ];
  }
  if (first) info.tls_first = true;
  return info;
}

/** Go's texts for what OpenSSL reports about a client's certificate. */
function verifyErrorText(code: string): string {
  switch (code) {
    case "CERT_HAS_EXPIRED":
    case "CERT_NOT_YET_VALID":
      return "tls: failed to verify certificate: x509: certificate has expired or is not yet valid";
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "CERT_SIGNATURE_FAILURE":
      return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
    case "INVALID_PURPOSE":
      return "tls: failed to verify certificate: x509: certificate specifies an incompatible key usage";
    default:
      return `tls: failed to verify certificate: ${code}`;
  }
}

/**
 * The outcome of OpenSSL's check of the client's chain against ca_file. A bare server-side
 * TLSSocket (no tls.Server) does not set `authorized`, so the handle's verifyError() (what
 * tls.Server itself reads) is asked.
 */
function peerVerifyError(ts: tls.TLSSocket): string | null {
  const h = (ts as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle;
  const err = h?.verifyError?.() ?? null;
  return err === null ? null : verifyErrorText(err.code ?? err.message);
}

/** OpenSSL's errors for a first record that is not TLS (plaintext NATS, HTTP, garbage). */
const NOT_TLS = new Set([
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "ERR_SSL_HTTP_REQUEST",
  "ERR_SSL_HTTPS_PROXY_REQUEST",
  "ERR_SSL_UNEXPECTED_MESSAGE",
  "ERR_SSL_UNKNOWN_PROTOCOL",
  "ERR_SSL_PACKET_LENGTH_TOO_LONG",
  "ERR_SSL_RECORD_LENGTH_MISMATCH",
  "ERR_SSL_UNEXPECTED_RECORD",
]);

/** Go's "host:port" of a TCP address ("[v6]:port"). */
export function goAddr(host: string | undefined, port: number | undefined): string {
  const h = host ?? "";
  return `${h.includes(":") ? `[${h}]` : h}:${port ?? 0}`;
}

/** A TCP connection as Go's net.OpError names it: "local->remote". */
export function tcpPair(s: Socket): string {
  return `${goAddr(s.localAddress, s.localPort)}->${goAddr(s.remoteAddress, s.remotePort)}`;
}

/**
 * Go's text for a failed handshake, from OpenSSL's error; `pair` (tcpPair) names the
 * connection in a read error, as Go's does.
 */
export function handshakeErrorText(e: NodeJS.ErrnoException, pair?: string): string {
  const code = e.code ?? "";
  if (NOT_TLS.has(code)) return "tls: first record does not look like a TLS handshake";
  if (code === "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE") return "tls: client didn't provide a certificate";
  if (code === "ERR_SSL_NO_SHARED_CIPHER") return "tls: no cipher suite supported by both client and server";
  if (code === "ERR_SSL_UNSUPPORTED_PROTOCOL") return "tls: client offered only unsupported versions";
  if (pair !== undefined && code === "ECONNRESET") {
    // tls.Server's word for a peer that ended the connection mid-handshake
    if (e.message === "socket hang up") return "EOF";
    return `read tcp ${pair}: read: connection reset by peer`;
  }
  if (code === "ECONNRESET" || code === "EPIPE") return `read tcp: connection reset by peer`;
  if (/alert/i.test(e.message)) return `remote error: ${e.message.replace(/^.*?:\s*/, "")}`;
  // other OpenSSL errors by their reason, without OpenSSL's source location
  const reason = (e as { reason?: unknown }).reason;
  if (typeof reason === "string" && reason !== "") return `tls: ${reason}`;
  return e.message === "" ? "EOF" : e.message;
}

/**
 * Read up to `n` bytes the client sends within `ms` (nats-server's io.ReadFull under a read
 * deadline); they are put back for whoever reads the socket next. Calls back with what came
 * (possibly nothing), or null when the connection went away.
 */
function peek(s: Socket, n: number, ms: number, done: (b: Buffer | null) => void): void {
  let got: Buffer = Buffer.alloc(0);
  let finished = false;
  const finish = (b: Buffer | null) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    s.off("data", onData);
    s.off("close", onClose);
    s.off("error", onClose);
    s.pause();
    if (b !== null && b.length > 0) s.unshift(b);
    done(b);
  };
  const onData = (b: Buffer) => {
    got = got.length === 0 ? b : Buffer.concat([got, b]);
    if (got.length >= n) finish(got);
  };
  const onClose = () => finish(null);
  const timer = setTimeout(() => finish(got), timerMs(ms));
  s.on("data", onData);
  s.on("close", onClose);
  s.on("error", onClose);
  s.resume();
}

/**
 * Start a client connection on a server with TLS configured. `info` builds the INFO line
 * (tls_required as given); `ready` starts the connection's protocol once the socket is
 * settled (TLS or, with allow_non_tls, plaintext).
 */
export function startClientTLS(
  c: ClientConnection,
  ctx: TLSContext,
  allowNonTLS: boolean,
  info: (tlsRequired: boolean) => ServerInfo,
  ready: () => void,
): void {
  const t = ctx.opts;
  const raw = c.socket;
  raw.setNoDelay(true);
  // until the protocol starts, a peer that goes away closes the connection quietly
  const gone = () => c.close("Client Closed");
  raw.on("error", gone);
  raw.on("close", gone);
  const handshake = () => {
    raw.off("error", gone);
    raw.off("close", gone);
    if (c.closed) return;
    doHandshake(c, ctx, raw, ready);
  };
  // INFO in plaintext first (no handshake_first, or its fallback when the client sent nothing)
  const infoFirst = () => {
    c.sendInfoNow(info(!allowNonTLS));
    if (allowNonTLS) sniff();
    else handshake();
  };
  const tlsFirst = () => {
    c.tlsFirst = true;
    handshake();
  };
  if (!t.handshake_first) infoFirst();
  else if (t.handshake_first_fallback <= 0) tlsFirst();
  else {
    peek(raw, 1, t.handshake_first_fallback, (b) => {
      if (b === null || c.closed) return;
      if (b.length > 0) tlsFirst();
      else infoFirst();
    });
  }

  function sniff(): void {
    peek(raw, 4, t.timeout, (b) => {
      if (b === null || c.closed) return;
      if (b.length > 0 && b[0] === 0x16) handshake();
      else {
        raw.off("error", gone);
        raw.off("close", gone);
        ready();
        // peek paused the socket: the protocol reads from here on (the bytes peeked first)
        raw.resume();
      }
    });
  }

  function doHandshake(cl: ClientConnection, cx: TLSContext, sock: Socket, go: () => void): void {
    cl.debugf("Starting TLS client connection handshake");
    const ts = new tls.TLSSocket(sock, {
      isServer: true,
      secureContext: cx.secureContext,
      requestCert: cx.opts.verify,
      // a client without a certificate fails the handshake (OpenSSL's FAIL_IF_NO_PEER_CERT);
      // the chain is checked below, so that the error is logged with Go's text
      rejectUnauthorized: cx.opts.verify,
    });
    cl.socket = ts;
    const timer = setTimeout(() => {
      if (cl.closed) return;
      // nats-server arms both a read deadline and a timer of the same length: the failed read
      // is always logged, the timer's line too when it runs before the close (usually second)
      cl.errorf(`TLS handshake error: read tcp ${tcpPair(sock)}: i/o timeout`);
      cl.errorf("TLS handshake timeout");
      cl.sendErr("Secure Connection - TLS Required");
      cl.close("TLS Handshake Failure");
    }, timerMs(cx.opts.timeout));
    const fail = (msg: string) => {
      clearTimeout(timer);
      if (cl.closed) return;
      cl.errorf(`TLS handshake error: ${msg}`);
      cl.close("TLS Handshake Failure");
    };
    // named while the socket is open: Go's read error names both ends
    const pair = tcpPair(sock);
    const onError = (e: NodeJS.ErrnoException) => fail(handshakeErrorText(e, pair));
    const onClose = () => fail("EOF");
    ts.on("error", onError);
    ts.on("close", onClose);
    const secured = () => {
      clearTimeout(timer);
      ts.off("error", onError);
      ts.off("close", onClose);
      if (cl.closed) return;
      if (cx.opts.verify) {
        const problem =
          ts.getPeerX509Certificate() === undefined ? "tls: client didn't provide a certificate" : peerVerifyError(ts);
        if (problem !== null) {
          ts.on("error", () => {});
          fail(problem);
          return;
        }
      }
      if (cx.pinned !== null) {
        const peer = ts.getPeerX509Certificate();
        const id = peer === undefined ? null : spkiSha256(peer);
        if (id === null) cl.debugf("Failed pinned cert test as client did not provide a certificate");
        else if (!cx.pinned.has(id)) cl.debugf(`Failed pinned cert test for key id: ${id}`);
        if (id === null || !cx.pinned.has(id)) {
          ts.on("error", () => {});
          fail("certificate not pinned");
          return;
        }
      }
      cl.tlsInfo = tlsConnInfo(ts, cl.tlsFirst);
      cl.debugf(`TLS handshake complete`);
      const p = ts.getProtocol();
      const ci = ts.getCipher();
      cl.debugf(
        `TLS version ${(p ?? "").replace(/^TLSv/, "")}, cipher suite ${GO_NAME_BY_OPENSSL.get(ci.name) ?? ci.standardName}`,
      );
      if (cl.tlsFirst) cl.sendInfoNow(info(true));
      go();
    };
    ts.once("secure", () => {
      try {
        secured();
      } catch (e) {
        // nothing in a client's certificate may take the server down: this connection fails
        ts.on("error", () => {});
        fail(`tls: ${(e as Error).message}`);
      }
    });
  }
}
