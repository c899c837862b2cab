// Helpers for the raw-socket protocol suite (test/protocol.test.js): a per-kind pool of
// servers started with named configurations, a per-test session that tracks and closes its
// sockets, exact-byte expectations, a frame splitter for server output, and split writers.
import { prng } from "./prng.js";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import assert from "node:assert/strict";
import { isOracle29, startServer } from "./servers.js";
import { RawConn } from "./raw.js";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * How long to wait for a reply or a close that should be immediate. Loopback replies take well
 * under a millisecond; this only bounds how long a failing case takes.
 */
export const REPLY_TIMEOUT_MS = Number(process.env.PROTO_REPLY_TIMEOUT_MS ?? 1000);

/** Named server configurations. `args` are nats-server flags; `config` is written to a file passed with -c. */
export const SERVER_CONFIGS = {
  default: { args: [] },
  userpass: { args: ["--user", "a", "--pass", "b"] },
  token: { args: ["--auth", "s3cret"] },
  authTimeout: { config: "authorization {\n  user: a\n  password: b\n  timeout: 0.5\n}\n" },
  stale: { config: 'ping_interval: "100ms"\nping_max: 2\n' },
  maxConn: { config: "max_connections: 1\n" },
  maxSubs: { config: "max_subscriptions: 2\n" },
  smallLimits: { config: "max_payload: 100\nmax_control_line: 64\n" },
  noHeaders: { config: "no_header_support: true\n" },
  perms: {
    config: `authorization {
  users = [
    {
      user: u
      password: p
      permissions: {
        publish: { allow: ["pub.>", "_INBOX.>"], deny: ["pub.secret"] }
        subscribe: { allow: ["sub.>", "q.* grp"], deny: ["sub.secret"] }
      }
    }
    { user: w, password: w }
  ]
}
`,
  },
};

// the oracle's version (kept in servers.js), for the suites that import it from here
export { isOracle29, oracleVersion } from "./servers.js";

// Server processes started by any pool and not yet stopped. If this test process dies before its
// after() hooks run (e.g. its output pipe is closed), kill them on the way out so none is orphaned.
const liveProcs = new Set();
function killLiveProcs() {
  for (const proc of liveProcs) {
    try {
      proc.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  liveProcs.clear();
}
process.on("exit", killLiveProcs);
for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) {
  process.once(sig, () => {
    killLiveProcs();
    process.kill(process.pid, sig); // default action now that our listener is gone
  });
}

/** Starts servers of one kind on demand (one per configuration name) and stops them all at the end. */
export class ServerPool {
  constructor(kind) {
    this.kind = kind;
    this.servers = new Map();
    this.dir = null;
  }

  /** @returns {Promise<Awaited<ReturnType<typeof startServer>>>} */
  get(name = "default") {
    if (!this.servers.has(name)) {
      const cfg = SERVER_CONFIGS[name];
      if (!cfg) throw new Error(`unknown server configuration ${name}`);
      const args = [...(cfg.args ?? [])];
      if (cfg.config !== undefined) {
        if (!this.dir) this.dir = mkdtempSync(path.join(tmpdir(), "tsnats-proto-"));
        const file = path.join(this.dir, `${name}.conf`);
        writeFileSync(file, cfg.config);
        args.push("-c", file);
      }
      const p = startServer(this.kind, args);
      p.then(
        (srv) => {
          liveProcs.add(srv.proc);
          srv.proc.once("exit", () => liveProcs.delete(srv.proc));
        },
        () => {}, // a failed start is reported by the test that awaits it
      );
      this.servers.set(name, p);
    }
    return this.servers.get(name);
  }

  async stopAll() {
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(
      all.map(async (p) => {
        try {
          const s = await p;
          await s.stop();
        } catch {
          // failed to start: nothing to stop
        }
      }),
    );
    if (this.dir) {
      rmSync(this.dir, { recursive: true, force: true });
      this.dir = null;
    }
  }
}

/** One test's view: the server kind, its server pool, and the sockets it opened (closed by end()). */
export class Session {
  constructor(pool) {
    this.pool = pool;
    this.kind = pool.kind;
    this.conns = [];
  }

  /** True when running against a 2.9.x nats-server (the oracle), whose behaviour may differ from 2.10. */
  get oracle29() {
    return isOracle29(this.kind);
  }

  server(name = "default") {
    return this.pool.get(name);
  }

  /** Open a raw TCP connection and read the INFO line (stored, parsed, as conn.info; raw line as conn.infoLine). */
  async open(serverName = "default") {
    const srv = await this.server(serverName);
    const c = await RawConn.connect(srv.port);
    this.conns.push(c);
    c.sock.setNoDelay(true);
    const t = await c.waitFor(/^INFO .*\r\n/, REPLY_TIMEOUT_MS);
    const line = t.slice(0, t.indexOf("\r\n") + 2);
    c.infoLine = line;
    c.info = JSON.parse(line.slice(5, -2));
    c.buf = c.buf.subarray(Buffer.byteLength(line, "latin1"));
    return c;
  }

  /**
   * Open a connection, send CONNECT with `fields` (default verbose:false, pedantic:false) and check
   * the CONNECT produced nothing but the +OK a verbose client expects.
   */
  async client(fields = {}, serverName = "default") {
    const c = await this.open(serverName);
    const all = { verbose: false, pedantic: false, ...fields };
    c.write(`CONNECT ${JSON.stringify(all)}\r\n`);
    assert.equal(await c.flush(REPLY_TIMEOUT_MS), all.verbose ? "+OK\r\n" : "", "reply to CONNECT");
    return c;
  }

  end() {
    for (const c of this.conns) c.close();
    this.conns = [];
  }
}

/** Send PING, wait for PONG, and assert exactly `expected` arrived before it (the connection must stay open). */
export async function expectReply(c, expected, msg, timeoutMs = REPLY_TIMEOUT_MS) {
  const got = await c.flush(timeoutMs);
  assert.equal(got, expected, msg);
}

/** Wait until the server closes the connection and assert everything it sent was exactly `expected`. */
export async function expectClosed(c, expected, msg, timeoutMs = REPLY_TIMEOUT_MS) {
  const closed = await c.waitClosed(timeoutMs);
  assert.ok(
    closed,
    `${msg ? msg + ": " : ""}expected the server to close the connection; got ${JSON.stringify(c.text())}`,
  );
  assert.equal(c.text(), expected, msg);
}

/**
 * Non-throwing observation for table-driven cases (so one run reports every mismatching row):
 * when `expectClose` wait for the close, otherwise flush with PING/PONG. Returns what the server
 * sent (before the PONG, if any) and whether it closed.
 */
export async function observe(c, expectClose, timeoutMs = REPLY_TIMEOUT_MS) {
  if (expectClose) {
    await c.waitClosed(timeoutMs);
    return { text: c.text(), closed: c.closed };
  }
  try {
    return { text: await c.flush(timeoutMs), closed: false };
  } catch {
    return { text: c.text(), closed: c.closed };
  }
}

/**
 * Split server output into protocol frames: each control line with its CRLF, and for MSG/HMSG
 * the payload and its trailing CRLF too. Returns { frames, rest } where rest is an incomplete tail.
 */
export function splitFrames(text) {
  const frames = [];
  let i = 0;
  while (i < text.length) {
    const eol = text.indexOf("\r\n", i);
    if (eol < 0) break;
    const line = text.slice(i, eol);
    let end = eol + 2;
    const m = /^(MSG|HMSG) (.*)$/.exec(line);
    if (m) {
      const args = m[2].split(" ");
      const size = Number(args[args.length - 1]);
      end += size + 2;
      if (end > text.length) break;
    }
    frames.push(text.slice(i, end));
    i = end;
  }
  return { frames, rest: text.slice(i) };
}

/** Write `data` one byte per TCP write, pausing `gapMs` between writes so each byte travels alone. */
export async function writeBytewise(c, data, gapMs = 1) {
  const buf = Buffer.from(data, "latin1");
  for (let i = 0; i < buf.length; i++) {
    c.write(buf.subarray(i, i + 1));
    await sleep(gapMs);
  }
}

/** Write `data` in random-length chunks chosen by `rand` (from prng()), with a short pause between chunks. */
export async function writeRandomSplits(c, data, rand, maxChunk = 7) {
  const buf = Buffer.from(data, "latin1");
  let i = 0;
  while (i < buf.length) {
    const n = 1 + Math.floor(rand() * maxChunk);
    c.write(buf.subarray(i, i + n));
    i += n;
    await sleep(1);
  }
}
