// Randomized robustness test over real sockets. While a well-behaved publisher sends N numbered
// messages to a well-behaved subscriber, many short-lived connections send malformed and
// truncated traffic: random bytes, valid operations with corrupted arguments, oversized control
// lines, wrong payload sizes, HPUB with bad header sizes, CONNECT with bad JSON, frames cut at
// random points, sockets destroyed or reset mid-frame, plus subscription churn on the good
// subject. Afterwards the subscriber must have received every message exactly once per
// subscription and in order, the server must still be alive and answer PING, and its stderr must
// not contain "Unexpected error" (how tsnats-server logs an uncaught exception).
//
// Reproduce a run with FUZZ_SEED=<seed> (printed at the start). Other knobs: FUZZ_MSGS (messages
// from the good publisher, default 2000), FUZZ_CONNS (max fuzz connections per server, default
// 4000), FUZZ_MS (time budget of the fuzz phase per server, default 3000), TEST_SERVER_KINDS.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { serverKinds, startServer } from "./helpers/servers.js";
import { splitFrames, sleep } from "./helpers/protocol-cases.js";
import { prng } from "./helpers/prng.js";

const SEED =
  process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
const N_MSGS = Number(process.env.FUZZ_MSGS ?? 2000);
const MAX_CONNS = Number(process.env.FUZZ_CONNS ?? 4000);
const MIN_CONNS = Math.min(MAX_CONNS, 300);
const FUZZ_MS = Number(process.env.FUZZ_MS ?? 3000);
const CONCURRENCY = 12;
const GOOD_SUBJECT = "fuzz.good";
const GOOD_QUEUE = "goodq"; // the fuzzers never join this queue group

console.log(`fuzz: FUZZ_SEED=${SEED} FUZZ_MSGS=${N_MSGS} FUZZ_CONNS=${MAX_CONNS} FUZZ_MS=${FUZZ_MS}`);

const kinds = serverKinds();

/** A PRNG for stream `stream` of this run (independent of scheduling order). */
const rng = (stream) => prng((SEED ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0);

// ------------------------------------------------------------------------------------------------
// The good traffic.

function randBytes(rand, n) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b.toString("latin1");
}

/** The N messages: what the publisher sends and what each subscription must receive. */
function goodMessages(rand) {
  const msgs = [];
  for (let i = 0; i < N_MSGS; i++) {
    const r = rand();
    const len = r < 0.1 ? 0 : r < 0.9 ? Math.floor(rand() * 200) : Math.floor(rand() * 8000);
    let body = `G${i}:` + randBytes(rand, len);
    if (rand() < 0.2) body += "\r\nPUB x 1\r\n"; // protocol text inside a payload
    const reply = rand() < 0.3 ? `fuzz.reply.${i}` : "";
    const hdr = rand() < 0.3 ? `NATS/1.0\r\nSeq: ${i}\r\nX-Rand: ${Math.floor(rand() * 1e9)}\r\n\r\n` : null;
    const rsp = reply ? ` ${reply}` : "";
    const wire =
      hdr === null
        ? `PUB ${GOOD_SUBJECT}${rsp} ${body.length}\r\n${body}\r\n`
        : `HPUB ${GOOD_SUBJECT}${rsp} ${hdr.length} ${hdr.length + body.length}\r\n${hdr}${body}\r\n`;
    const expect = (sid) =>
      hdr === null
        ? `MSG ${GOOD_SUBJECT} ${sid}${rsp} ${body.length}\r\n${body}\r\n`
        : `HMSG ${GOOD_SUBJECT} ${sid}${rsp} ${hdr.length} ${hdr.length + body.length}\r\n${hdr}${body}\r\n`;
    msgs.push({ wire, expect });
  }
  return msgs;
}

/** A raw connection that records what it receives; used for the good publisher and subscriber. */
class Conn {
  constructor(sock) {
    this.sock = sock;
    this.text = "";
    this.closed = false;
    this.waiters = [];
    sock.setNoDelay(true);
    sock.on("data", (d) => {
      this.text += d.toString("latin1");
      this.onText?.();
      this.wake();
    });
    const done = () => {
      this.closed = true;
      this.wake();
    };
    sock.on("close", done);
    sock.on("error", done);
  }
  static open(port) {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: "127.0.0.1" }, () => resolve(new Conn(s)));
      s.once("error", reject);
    });
  }
  wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  waitFor(pred, ms, what) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out (${ms} ms) waiting for ${what}`)), ms);
      const check = () => {
        if (pred()) {
          clearTimeout(t);
          resolve();
        } else if (this.closed) {
          clearTimeout(t);
          reject(new Error(`connection closed while waiting for ${what}`));
        } else this.waiters.push(check);
      };
      check();
    });
  }
  write(s) {
    if (!this.sock.destroyed) this.sock.write(typeof s === "string" ? Buffer.from(s, "latin1") : s);
  }
}

/**
 * The good subscriber: two subscriptions on the good subject (a plain one and the only member of
 * a queue group). Checks every frame against the expected sequence as it arrives.
 */
class GoodSubscriber {
  constructor(conn, msgs) {
    this.c = conn;
    this.msgs = msgs;
    this.next = { 1: 0, 3: 0 };
    this.problems = [];
    this.pongs = 0;
    this.rest = "";
    this.seenInfo = false;
    conn.onText = () => this.consume();
  }
  consume() {
    const text = this.rest + this.c.text;
    this.c.text = "";
    let from = 0;
    if (!this.seenInfo) {
      const e = text.indexOf("\r\n");
      if (e < 0) {
        this.rest = text;
        return;
      }
      this.seenInfo = true;
      from = e + 2;
    }
    const { frames, rest } = splitFrames(text.slice(from));
    this.rest = rest;
    for (const f of frames) {
      const m = /^H?MSG \S+ (\S+)/.exec(f);
      if (m) {
        const sid = m[1];
        if (!(sid in this.next)) {
          this.problem(`message for unknown sid: ${f.slice(0, 80)}`);
          continue;
        }
        const i = this.next[sid];
        if (i >= this.msgs.length) {
          this.problem(`extra message on sid ${sid}: ${JSON.stringify(f.slice(0, 80))}`);
          continue;
        }
        const want = this.msgs[i].expect(sid);
        if (f !== want) {
          const got = /G(\d+):/.exec(f);
          this.problem(
            `sid ${sid}: expected message #${i}, got ${got ? "#" + got[1] : JSON.stringify(f.slice(0, 80))}${got && Number(got[1]) === i ? " (bytes differ)" : ""}`,
          );
        }
        this.next[sid] = i + 1;
      } else if (f === "PING\r\n") {
        this.c.write("PONG\r\n");
      } else if (f === "PONG\r\n") {
        this.pongs++;
      } else {
        this.problem(`unexpected frame ${JSON.stringify(f.slice(0, 120))}`);
      }
    }
  }
  problem(p) {
    if (this.problems.length < 20) this.problems.push(p);
  }
  get done() {
    return this.next[1] >= this.msgs.length && this.next[3] >= this.msgs.length;
  }
}

// ------------------------------------------------------------------------------------------------
// The bad traffic.

function fuzzFrames(rand) {
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const int = (n) => Math.floor(rand() * n);
  const token = () => pick(["a", "b", "fz", "x1", "*", ">", "", "\xff", "z".repeat(1 + int(40))]);
  const subj = () => {
    const n = 1 + int(4);
    const t = [];
    for (let i = 0; i < n; i++) t.push(token());
    return pick(["fz.", "fz.", "fz.", "_INBOX.", "", " "]) + t.join(pick([".", ".", ".", "..", " "]));
  };
  // subjects the fuzzers may SUBSCRIBE to on the good subject (never publish to, never join GOOD_QUEUE)
  const goodSub = () => pick([GOOD_SUBJECT, "fuzz.*", "fuzz.>", ">", "*.good", "*.*"]);
  const sid = () => pick(["1", "2", "3", "9", String(int(1e9)), "x", "1.5", "\xfe"]);
  const size = () => pick(["x", "-1", "+1", "1234567890", "99999999999", "1 2", "", "0x10", "1e3", " "]);
  const data = (n) => randBytes(rand, n);
  const long = (n) => "L".repeat(n);
  const hdr = () =>
    pick([
      "NATS/1.0\r\n\r\n",
      "NATS/1.0\r\nA: b\r\n\r\n",
      "NATS/1.0 503\r\n\r\n",
      "garbage",
      "",
      "NATS/1.0\r\n",
      "\r\n\r\n",
    ]);
  const connects = [
    "CONNECT {}\r\n",
    'CONNECT {"verbose":true}\r\n',
    'CONNECT {"verbose":false,"pedantic":true}\r\n',
    'CONNECT {"headers":true}\r\n',
    'CONNECT {"headers":true,"no_responders":true,"protocol":1}\r\n',
    'CONNECT {"echo":false,"headers":true}\r\n',
    "CONNECT {\r\n",
    "CONNECT\r\n",
    "CONNECT \r\n",
    "CONNECT []\r\n",
    "CONNECT null\r\n",
    "CONNECT 1\r\n",
    'CONNECT "x"\r\n',
    'CONNECT {"verbose":tru}\r\n',
    'CONNECT {"protocol":2}\r\n',
    'CONNECT {"protocol":-1}\r\n',
    'CONNECT {"protocol":"1"}\r\n',
    'CONNECT {"no_responders":true}\r\n',
    'CONNECT {"user":"u","pass":"p","auth_token":1,"nkey":[],"sig":{},"jwt":null}\r\n',
    'CONNECT {"name":"\\ud800\\udfff\\u0000"}\r\n',
    'CONNECT {"name":"\xc3\x28\xff"}\r\n',
    'CONNECT {"a":{"b":{"c":{"d":[[[[[[[[[[]]]]]]]]]]}}}}\r\n',
    'CONNECT {"verbose":true}{"verbose":false}\r\n',
    "CONNECT {} trailing\r\n",
    () => `CONNECT ${data(1 + int(60))}\r\n`,
    () => `CONNECT {"name":"${long(4090 + int(20))}"}\r\n`,
  ];
  const gens = [
    // random bytes
    () => data(1 + int(64)),
    () => data(1 + int(2000)),
    // keep-alives, in odd spellings
    () => pick(["PING\r\n", "PONG\r\n", "ping\n", "PiNg  junk\r\n", "+OK\r\n", "+ok\n"]),
    // CONNECT, good and bad
    () => {
      const c = pick(connects);
      return typeof c === "function" ? c() : c;
    },
    // SUB / UNSUB, good and bad
    () => `SUB ${subj()} ${sid()}\r\n`,
    () => `SUB ${subj()} ${pick(["q", "fq", "w"])} ${sid()}\r\n`,
    () => `SUB ${goodSub()} ${sid()}\r\n`,
    () => `SUB ${goodSub()} fq ${sid()}\r\n`,
    () => `SUB ${goodSub()} ${sid()}\r\nUNSUB ${sid()} ${int(4)}\r\n`,
    () =>
      pick([
        "SUB\r\n",
        "SUB a\r\n",
        "SUB a b c d\r\n",
        "SUB a.. 1\r\n",
        "SUB a.>.b 1\r\n",
        "SUB . 1\r\n",
        "SUB \t \r\n",
        "UNSUB\r\n",
        "UNSUB 1 2 3\r\n",
        "UNSUB 1 x\r\n",
        "UNSUB 1 -5\r\n",
        "UNSUB x\r\n",
      ]),
    () => `UNSUB ${sid()}${rand() < 0.5 ? " " + size() : ""}\r\n`,
    // PUB, good and bad
    () => {
      const p = data(int(100));
      return `PUB ${subj()}${rand() < 0.3 ? " _INBOX.r" : ""} ${p.length}\r\n${p}\r\n`;
    },
    () => `PUB ${subj()} ${size()}\r\n${data(int(10))}\r\n`,
    () =>
      pick([
        "PUB\r\n",
        "PUB a\r\n",
        "PUB a b c d\r\n",
        "PUB a b c 1\r\n",
        "PUB  \t\r\n",
        "PUB a 5\r\n",
        "PUB a 3\r\nabcdef\r\n",
      ]),
    () => {
      // wrong payload size
      const p = data(int(50));
      const claimed = Math.max(0, p.length + pick([-3, -2, -1, 1, 2, 3, 50]));
      return `PUB fz.a ${claimed}\r\n${p}\r\nPING\r\n`;
    },
    () => `PUB fz.big ${pick([1048577, 2000000, 999999999, 1048576, 900000])}\r\n${data(int(200))}`,
    // HPUB, good and bad
    () => {
      const h = hdr();
      const b = data(int(40));
      return `HPUB ${subj()} ${h.length} ${h.length + b.length}\r\n${h}${b}\r\n`;
    },
    () => {
      const h = hdr();
      const b = data(int(40));
      const variants = [
        `HPUB fz.h ${h.length + b.length + 1} ${h.length + b.length}`, // header larger than total
        `HPUB fz.h ${size()} ${h.length + b.length}`, // bad header size
        `HPUB fz.h ${h.length} ${size()}`, // bad total size
        `HPUB fz.h ${h.length + b.length}`, // missing total size
        `HPUB fz.h`,
        `HPUB fz.h r ${h.length} ${h.length + b.length} extra`,
        `HPUB fz.h -${h.length} ${h.length + b.length}`,
        `HPUB fz.h ${h.length} ${Math.max(0, h.length + b.length - 2)}`, // total too small for the bytes sent
      ];
      return `${pick(variants)}\r\n${h}${b}\r\n`;
    },
    // operations only a server sends
    () =>
      pick([
        "MSG a 1 2\r\nhi\r\n",
        "HMSG a 1 0 2\r\nhi\r\n",
        "INFO {}\r\n",
        "INFO {bad\r\n",
        'INFO {"server_id":"x"} \r\n',
        "-ERR 'boom'\r\n",
        "-ERR\r\n",
      ]),
    // oversized control lines, with and without their end
    () => `SUB ${long(4097 + int(8000))} 1\r\n`,
    () => `PUB fz.a ${long(4090 + int(20))} 1\r\nx\r\n`,
    () => `PUB ${long(200000)}`,
    () => `UNSUB ${long(4096)}\r\n`,
    // very deep subjects, long but within limits
    () => `SUB ${"t.".repeat(1000)}> 77\r\nPUB ${"t.".repeat(1000)}x 1\r\nq\r\n`,
    // requests to nobody (no responders path for clients that asked for it)
    () =>
      `SUB _INBOX.fz.* 50\r\nPUB fz.nobody _INBOX.fz.1 2\r\nhi\r\nHPUB fz.nobody _INBOX.fz.2 12 12\r\nNATS/1.0\r\n\r\n\r\n`,
  ];
  const frames = [];
  // half of the connections first say a proper CONNECT with headers, to get past the first checks
  if (rand() < 0.5)
    frames.push(
      pick([
        'CONNECT {"verbose":false,"headers":true}\r\n',
        'CONNECT {"verbose":true,"pedantic":true,"headers":true,"no_responders":true}\r\n',
      ]),
    );
  const n = 1 + int(8);
  for (let i = 0; i < n; i++) frames.push(pick(gens)());
  let s = frames.join("");
  // mutations
  const muts = rand() < 0.5 ? 0 : 1 + int(4);
  for (let m = 0; m < muts && s.length > 0; m++) {
    const at = int(s.length);
    switch (int(5)) {
      case 0: // flip a byte
        s = s.slice(0, at) + String.fromCharCode(int(256)) + s.slice(at + 1);
        break;
      case 1: // drop a byte
        s = s.slice(0, at) + s.slice(at + 1);
        break;
      case 2: // insert a byte (often a delimiter)
        s =
          s.slice(0, at) +
          pick(["\r", "\n", " ", "\t", "\0", ".", "*", ">", String.fromCharCode(int(256))]) +
          s.slice(at);
        break;
      case 3: {
        // duplicate a slice
        const len = 1 + int(30);
        s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
        break;
      }
      default: // truncate
        s = s.slice(0, at);
    }
  }
  return Buffer.from(s, "latin1");
}

const tick = () => new Promise((r) => setImmediate(r));

/** One short-lived bad connection. Never throws. */
async function fuzzOne(port, idx, sockets, stats) {
  const rand = rng(1000 + idx);
  const int = (n) => Math.floor(rand() * n);
  const data = fuzzFrames(rand);
  const sock = net.connect({ port, host: "127.0.0.1" });
  sockets.add(sock);
  const closed = new Promise((resolve) => sock.once("close", resolve));
  let serverClosed = false;
  sock.on("error", () => {});
  sock.on("data", () => {});
  sock.on("end", () => {
    serverClosed = true;
  });
  try {
    await new Promise((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", reject);
    });
    stats.connected++;
    sock.setNoDelay(true);
    if (rand() < 0.6) await sleep(int(3)); // sometimes wait for INFO, sometimes talk at once
    // how the connection ends
    const r = rand();
    const ending = r < 0.3 ? "destroy-mid" : r < 0.4 ? "reset-mid" : r < 0.7 ? "end" : "linger";
    const limit = ending.endsWith("-mid") ? int(data.length + 1) : data.length;
    let i = 0;
    const whole = rand() < 0.3;
    while (i < limit && !sock.destroyed && !serverClosed) {
      const n = whole ? limit - i : Math.min(limit - i, 1 + (rand() < 0.7 ? int(16) : int(4096)));
      sock.write(data.subarray(i, i + n));
      i += n;
      if (rand() < 0.5) await tick();
      else if (rand() < 0.1) await sleep(1);
    }
    if (ending === "destroy-mid") sock.destroy();
    else if (ending === "reset-mid") sock.resetAndDestroy();
    else if (ending === "end") sock.end();
    else await sleep(int(20));
    stats[ending]++;
  } catch {
    stats.failed++;
  } finally {
    // give the server a moment to close it, then make sure it is gone
    const t = setTimeout(() => sock.destroy(), 30);
    if (sock.destroyed) sock.destroy();
    await closed;
    clearTimeout(t);
    sockets.delete(sock);
  }
}

/** The first few log lines matching re, each with the indented (stack trace) lines after it. */
function logExcerpts(log, re) {
  const lines = log.split("\n");
  const out = [];
  for (let i = 0; i < lines.length && out.length < 3; i++) {
    if (!re.test(lines[i])) continue;
    let j = i + 1;
    while (j < lines.length && j < i + 8 && /^\s/.test(lines[j])) j++;
    out.push(lines.slice(i, j).join("\n"));
  }
  return out;
}

/** Count the server's log lines by message, with connection labels, numbers and quoted text removed. */
function logSummary(log) {
  const counts = new Map();
  for (const line of log.split("\n")) {
    const m = /\[(ERR|WRN|INF|DBG|FTL)\] (?:\S+:\d+ - [cr]id:\d+ - )?(.*)$/.exec(line);
    if (!m || m[1] === "INF") continue;
    const key = m[2]
      .replace(/(["'])(?:\\.|(?!\1).)*\1/g, "…")
      .replace(/\d+/g, "#")
      .replace(/snip: .*/, "snip")
      .slice(0, 70);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).slice(0, 25));
}

// ------------------------------------------------------------------------------------------------

for (const kind of kinds) {
  describe(`fuzz [${kind}]`, () => {
    it("malformed traffic on other connections does not disturb a good publisher/subscriber", {
      timeout: 20000,
    }, async (t) => {
      t.diagnostic(`FUZZ_SEED=${SEED}`);
      const srv = await startServer(kind, ["-D"]);
      const sockets = new Set();
      const good = [];
      try {
        const msgs = goodMessages(rng(0));

        // the good subscriber
        const subConn = await Conn.open(srv.port);
        good.push(subConn);
        const sub = new GoodSubscriber(subConn, msgs);
        subConn.write(
          `CONNECT {"verbose":false,"pedantic":false,"headers":true,"name":"good-sub"}\r\nSUB ${GOOD_SUBJECT} 1\r\nSUB ${GOOD_SUBJECT} ${GOOD_QUEUE} 3\r\nPING\r\n`,
        );
        await subConn.waitFor(() => sub.pongs >= 1, 5000, "the subscriber's first PONG");

        // the good publisher
        const pub = await Conn.open(srv.port);
        const pubPort = pub.sock.localPort;
        good.push(pub);
        pub.write(`CONNECT {"verbose":false,"pedantic":false,"headers":true,"name":"good-pub"}\r\nPING\r\n`);
        await pub.waitFor(() => /^INFO [^\r\n]*\r\nPONG\r\n$/.test(pub.text), 5000, "the publisher's first PONG");
        pub.text = "";
        // from here on the publisher answers the server's keep-alive PINGs and keeps every other line
        let pubPings = 0;
        const pubLines = [];
        let midFrame = false;
        let pongOwed = false;
        pub.onText = () => {
          let e;
          while ((e = pub.text.indexOf("\r\n")) >= 0) {
            const line = pub.text.slice(0, e);
            pub.text = pub.text.slice(e + 2);
            if (line === "PING") {
              // never inside a frame that is being written in pieces: answer between frames
              if (midFrame) pongOwed = true;
              else pub.write("PONG\r\n");
              pubPings++;
            } else pubLines.push(line);
          }
        };

        const t0 = Date.now();
        const deadline = t0 + FUZZ_MS * 2;
        const stats = { connected: 0, failed: 0, "destroy-mid": 0, "reset-mid": 0, end: 0, linger: 0 };
        let launched = 0;
        let pubDone = false;

        // publisher: N messages in random batches, split at random points, paced over ~70% of FUZZ_MS
        const publishing = (async () => {
          const rand = rng(1);
          let i = 0;
          const avgBatch = 10;
          const pause = Math.max(1, Math.floor((FUZZ_MS * 0.7) / (N_MSGS / avgBatch)));
          while (i < N_MSGS) {
            const k = Math.min(N_MSGS - i, 1 + Math.floor(rand() * (2 * avgBatch - 1)));
            const buf = Buffer.from(
              msgs
                .slice(i, i + k)
                .map((m) => m.wire)
                .join(""),
              "latin1",
            );
            i += k;
            if (rand() < 0.5) pub.write(buf);
            else {
              let o = 0;
              midFrame = true;
              while (o < buf.length) {
                const n = 1 + Math.floor(rand() * (rand() < 0.5 ? 8 : 2000));
                pub.write(buf.subarray(o, o + n));
                o += n;
                if (rand() < 0.3) await tick();
              }
              midFrame = false;
              if (pongOwed) {
                pongOwed = false;
                pub.write("PONG\r\n");
              }
            }
            await sleep(pause);
          }
          pubDone = true;
        })();

        // fuzzers: keep CONCURRENCY bad connections going while the publisher works
        const fuzzing = (async () => {
          const running = new Set();
          // at least MIN_CONNS however slow the machine; more while the publisher works, within the time budget
          while (launched < MAX_CONNS && (launched < MIN_CONNS || (!pubDone && Date.now() < deadline))) {
            while (running.size < CONCURRENCY && launched < MAX_CONNS) {
              const p = fuzzOne(srv.port, launched++, sockets, stats).finally(() => running.delete(p));
              running.add(p);
            }
            await Promise.race(running);
          }
          await Promise.all(running);
        })();

        await Promise.all([publishing, fuzzing]);
        t.diagnostic(
          `${kind}: ${launched} fuzz connections in ${Date.now() - t0} ms: ${JSON.stringify(stats)}; keep-alive PINGs to the publisher: ${pubPings}`,
        );
        assert.ok(stats.connected >= launched * 0.9, `most fuzz connections connected: ${JSON.stringify(stats)}`);

        // everything published has been processed once the publisher's PING is answered
        pub.write("PING\r\n");
        await pub
          .waitFor(() => pubLines.includes("PONG"), 5000, "the publisher's final PONG")
          .catch((e) => {
            // what the server said about the publisher's own connection
            const log = srv
              .output()
              .split("\n")
              .filter((l) => l.includes(`:${pubPort} - `));
            assert.fail(
              `${e.message} (FUZZ_SEED=${SEED}); server log for the publisher:\n${log.slice(-20).join("\n")}`,
            );
          });
        assert.deepEqual(pubLines, ["PONG"], "the publisher got nothing but its PONG (no -ERR)");
        await subConn
          .waitFor(() => sub.done || sub.problems.length > 0, 10000, "all messages at the subscriber")
          .catch((e) => {
            assert.fail(
              `${e.message}: sid 1 got ${sub.next[1]}, sid 3 got ${sub.next[3]} of ${N_MSGS}; problems: ${sub.problems.join("; ")} (FUZZ_SEED=${SEED})`,
            );
          });
        // and nothing more arrives
        const pongs = sub.pongs;
        subConn.write("PING\r\n");
        await subConn.waitFor(() => sub.pongs > pongs, 5000, "the subscriber's final PONG");
        assert.deepEqual(sub.problems, [], `the subscriber saw problems (FUZZ_SEED=${SEED})`);
        assert.equal(sub.next[1], N_MSGS, "plain subscription: every message exactly once, in order");
        assert.equal(sub.next[3], N_MSGS, "queue subscription: every message exactly once, in order");
        assert.equal(sub.rest, "", "no partial frame left over");
        assert.equal(subConn.closed || pub.closed, false, "the good connections are still open");

        // the server is alive and answers a new client
        assert.equal(srv.proc.exitCode, null, "server process still running");
        assert.equal(srv.proc.signalCode, null, "server process still running");
        const probe = await Conn.open(srv.port);
        good.push(probe);
        probe.write('CONNECT {"verbose":false}\r\nPING\r\n');
        await probe.waitFor(() => /^INFO [^\r\n]*\r\nPONG\r\n$/.test(probe.text), 5000, "PONG from a new connection");
      } finally {
        for (const c of good) c.sock.destroy();
        for (const s of sockets) s.destroy();
        await srv.stop();
      }
      assert.equal(sockets.size, 0, "every fuzz socket closed");
      // the server's whole output (stderr, where both servers log, and stdout)
      const all = srv.output();
      t.diagnostic(`${kind}: server log lines by kind: ${JSON.stringify(logSummary(all))}`);
      assert.deepEqual(
        logExcerpts(all, /Unexpected error/),
        [],
        `the server logged an unexpected exception (FUZZ_SEED=${SEED})`,
      );
      assert.deepEqual(logExcerpts(all, /^panic:|^goroutine \d+ \[/), [], `the server panicked (FUZZ_SEED=${SEED})`);
    });
  });
}
