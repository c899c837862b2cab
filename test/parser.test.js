// Unit tests of the incremental protocol parser (src/protocol/parser.ts).
//
// A recording handler turns every callback into a plain event; most tests compare the event list
// produced by feeding a stream whole with the list produced by feeding it split in every possible
// way (one byte at a time, at every single split point, in seeded random chunk sizes).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Parser, parseSize } from "../dist/protocol/parser.js";
import { prng } from "./helpers/prng.js";

// Op and ParseErrorKind are const enums (erased at compile time): their numeric values.
const OPS = ["", "PUB", "HPUB", "SUB", "UNSUB", "PING", "PONG", "CONNECT", "INFO", "MSG", "HMSG", "+OK", "-ERR"];
const UNKNOWN_OP = 1;
const MAX_CONTROL_LINE = 2;
const KIND = { [UNKNOWN_OP]: "UnknownOp", [MAX_CONTROL_LINE]: "MaxControlLine" };

/**
 * Records every callback as an event. Like the server's Client, it stops (returns false) on a
 * PUB-like line with an argError, since the parser must not go on to read a payload of size -1.
 */
class Recorder {
  constructor() {
    this.events = [];
    /** Raw payload Buffers as handed over (views are checked by some tests). */
    this.payloads = [];
  }
  onMsgArgs(p) {
    assert.ok(p.op >= 1 && p.op <= 12);
    this.events.push({
      ev: "args",
      op: p.opName,
      subject: p.subject,
      reply: p.reply,
      sid: p.sid,
      size: p.size,
      hdr: p.hdr,
      argError: p.argError,
    });
    return p.argError === "";
  }
  onMsgPayload(p, buf, start, end) {
    assert.ok(Buffer.isBuffer(buf), "payload buffer is a Buffer");
    assert.ok(
      Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= buf.length,
      "a valid range of buf",
    );
    assert.equal(end - start, p.size, "payload length is exactly the announced size");
    this.payloads.push({ buf, start, end });
    // copy now: the bytes are only valid during the call
    this.events.push({ ev: "payload", op: p.opName, subject: p.subject, data: buf.toString("latin1", start, end) });
    return true;
  }
  onOp(op, arg) {
    assert.equal(typeof arg, "string");
    this.events.push({ ev: "op", op: OPS[op], arg });
    return true;
  }
  onParseError(kind, arg) {
    this.events.push({
      ev: "error",
      kind: KIND[kind] ?? kind,
      arg: arg === null ? null : Buffer.from(arg).toString("latin1"),
    });
  }
}

const bytes = (s) => Buffer.from(s, "latin1");

/** Feed chunks (strings or Buffers) to a fresh parser; stop at the first parse() that returns false. */
function feed(chunks, maxControlLine) {
  const r = new Recorder();
  const p = new Parser(r, maxControlLine);
  let ok = true;
  for (const c of chunks) {
    // a fresh copy per chunk, so nothing can alias across chunks
    ok = p.parse(Buffer.from(typeof c === "string" ? bytes(c) : c));
    if (!ok) break;
  }
  return { events: r.events, ok, parser: p, rec: r };
}

const whole = (s, mcl) => feed([s], mcl);
const bytewise = (s, mcl) => {
  const b = bytes(s);
  const chunks = [];
  for (let i = 0; i < b.length; i++) chunks.push(b.subarray(i, i + 1));
  return feed(chunks, mcl);
};
function randomChunks(s, rand, maxChunk) {
  const b = bytes(s);
  const chunks = [];
  let i = 0;
  while (i < b.length) {
    // mostly small chunks, sometimes large ones
    const n = rand() < 0.8 ? 1 + Math.floor(rand() * 8) : 1 + Math.floor(rand() * maxChunk);
    chunks.push(b.subarray(i, i + n));
    i += n;
  }
  return chunks;
}

/** The text of a MaxControlLine error depends on how much had arrived; compare everything else. */
const normalize = (events) =>
  events.map((e) => (e.ev === "error" && e.kind === "MaxControlLine" ? { ...e, arg: "<line>" } : e));

/** Assert that every way of splitting `s` gives the same events (and result) as feeding it whole. */
function assertSplitInvariant(s, { mcl, seed = 1, randomRuns = 50, everySplit = true } = {}) {
  const ref = whole(s, mcl);
  const refEv = normalize(ref.events);
  const bw = bytewise(s, mcl);
  assert.deepEqual(normalize(bw.events), refEv, "one byte at a time");
  assert.equal(bw.ok, ref.ok);
  if (everySplit) {
    const b = bytes(s);
    for (let k = 1; k < b.length; k++) {
      const two = feed([b.subarray(0, k), b.subarray(k)], mcl);
      assert.deepEqual(normalize(two.events), refEv, `split at byte ${k}`);
      assert.equal(two.ok, ref.ok, `split at byte ${k}`);
    }
  }
  const rand = prng(seed);
  for (let run = 0; run < randomRuns; run++) {
    const rc = feed(randomChunks(s, rand, 200), mcl);
    assert.deepEqual(normalize(rc.events), refEv, `random chunks, seed ${seed}, run ${run}`);
    assert.equal(rc.ok, ref.ok);
  }
  return ref;
}

const args = (op, subject, size, { reply = "", sid = "", hdr = -1, argError = "" } = {}) => ({
  ev: "args",
  op,
  subject,
  reply,
  sid,
  size,
  hdr,
  argError,
});
const payload = (op, subject, data) => ({ ev: "payload", op, subject, data });
const op = (name, arg = "") => ({ ev: "op", op: name, arg });
const err = (kind, arg = null) => ({ ev: "error", kind, arg });

describe("Parser: every operation", () => {
  it("PUB with and without reply", () => {
    const { events, ok } = whole("PUB foo 5\r\nhello\r\nPUB foo bar 2\r\nhi\r\n");
    assert.equal(ok, true);
    assert.deepEqual(events, [
      args("PUB", "foo", 5),
      payload("PUB", "foo", "hello"),
      args("PUB", "foo", 2, { reply: "bar" }),
      payload("PUB", "foo", "hi"),
    ]);
  });

  it("HPUB with and without reply; payload includes the headers", () => {
    const h = "NATS/1.0\r\nA: b\r\n\r\n"; // 18 bytes
    const { events } = whole(
      `HPUB foo ${h.length} ${h.length + 3}\r\n${h}abc\r\nHPUB foo _INBOX.1 ${h.length} ${h.length}\r\n${h}\r\n`,
    );
    assert.deepEqual(events, [
      args("HPUB", "foo", h.length + 3, { hdr: h.length }),
      payload("HPUB", "foo", h + "abc"),
      args("HPUB", "foo", h.length, { reply: "_INBOX.1", hdr: h.length }),
      payload("HPUB", "foo", h),
    ]);
  });

  it("SUB and UNSUB hand the raw argument text to onOp", () => {
    const { events } = whole("SUB foo 1\r\nSUB foo.* q 2\r\nUNSUB 1\r\nUNSUB 2 10\r\n");
    assert.deepEqual(events, [op("SUB", "foo 1"), op("SUB", "foo.* q 2"), op("UNSUB", "1"), op("UNSUB", "2 10")]);
  });

  it("PING, PONG and +OK have an empty argument; anything before LF is ignored", () => {
    const { events } = whole("PING\r\nPONG\r\n+OK\r\nPING junk\r\n+OKAY\r\nPONGPONG\r\n");
    assert.deepEqual(events, [op("PING"), op("PONG"), op("+OK"), op("PING"), op("+OK"), op("PONG")]);
  });

  it("CONNECT and INFO, with or without a space before the JSON", () => {
    const { events } = whole('CONNECT {"verbose":false}\r\nCONNECT{}\r\nINFO {"server_id":"x"} \r\nINFO{}\r\n');
    assert.deepEqual(events, [
      op("CONNECT", '{"verbose":false}'),
      op("CONNECT", "{}"),
      op("INFO", '{"server_id":"x"} '),
      op("INFO", "{}"),
    ]);
  });

  it("MSG and HMSG (server to client) with sid, optional reply and header size", () => {
    const h = "NATS/1.0\r\n\r\n"; // 12
    const { events } = whole(
      `MSG foo 1 5\r\nhello\r\nMSG foo 22 _INBOX.x 0\r\n\r\nHMSG foo 3 12 14\r\n${h}hi\r\nHMSG foo 4 rep 12 12\r\n${h}\r\n`,
    );
    assert.deepEqual(events, [
      args("MSG", "foo", 5, { sid: "1" }),
      payload("MSG", "foo", "hello"),
      args("MSG", "foo", 0, { sid: "22", reply: "_INBOX.x" }),
      payload("MSG", "foo", ""),
      args("HMSG", "foo", 14, { sid: "3", hdr: 12 }),
      payload("HMSG", "foo", h + "hi"),
      args("HMSG", "foo", 12, { sid: "4", reply: "rep", hdr: 12 }),
      payload("HMSG", "foo", h),
    ]);
  });

  it("+OK and -ERR (server to client)", () => {
    const { events } = whole("+OK\r\n-ERR 'Unknown Protocol Operation'\r\n-ERR\t'x'\r\n");
    assert.deepEqual(events, [op("+OK"), op("-ERR", "'Unknown Protocol Operation'"), op("-ERR", "'x'")]);
  });

  it("onOp receives the Op number matching opName", () => {
    const seen = [];
    const p = new Parser({
      onMsgArgs: (pp) => (seen.push([pp.op, pp.opName]), true),
      onMsgPayload: () => true,
      onOp: (o) => (seen.push([o, p.opName]), true),
      onParseError: () => assert.fail("no error expected"),
    });
    p.parse(
      bytes(
        "PUB a 0\r\n\r\nHPUB a 0 0\r\n\r\nSUB a 1\r\nUNSUB 1\r\nPING\r\nPONG\r\nCONNECT {}\r\nINFO {}\r\nMSG a 1 0\r\n\r\nHMSG a 1 0 0\r\n\r\n+OK\r\n-ERR 'x'\r\n",
      ),
    );
    assert.deepEqual(
      seen,
      OPS.slice(1).map((name, i) => [i + 1, name]),
    );
  });
});

describe("Parser: syntax variants", () => {
  it("operation names are case-insensitive", () => {
    const { events, ok } = whole(
      "pub a 1\r\nx\r\nPuB a 1\r\ny\r\nhpub a 0 0\r\n\r\nhPuB a 0 1\r\nz\r\nsub a 1\r\nSuB a 2\r\nunsub 1\r\nUnSuB 2\r\n" +
        "ping\r\nPiNg\r\npong\r\npOnG\r\nconnect {}\r\nCoNnEcT {}\r\ninfo {}\r\niNfO {}\r\nmsg a 1 0\r\n\r\nhmsg a 1 0 0\r\n\r\n+ok\r\n-err 'e'\r\n-eRr 'f'\r\n",
    );
    assert.equal(ok, true);
    assert.deepEqual(events, [
      args("PUB", "a", 1),
      payload("PUB", "a", "x"),
      args("PUB", "a", 1),
      payload("PUB", "a", "y"),
      args("HPUB", "a", 0, { hdr: 0 }),
      payload("HPUB", "a", ""),
      args("HPUB", "a", 1, { hdr: 0 }),
      payload("HPUB", "a", "z"),
      op("SUB", "a 1"),
      op("SUB", "a 2"),
      op("UNSUB", "1"),
      op("UNSUB", "2"),
      op("PING"),
      op("PING"),
      op("PONG"),
      op("PONG"),
      op("CONNECT", "{}"),
      op("CONNECT", "{}"),
      op("INFO", "{}"),
      op("INFO", "{}"),
      args("MSG", "a", 0, { sid: "1" }),
      payload("MSG", "a", ""),
      args("HMSG", "a", 0, { sid: "1", hdr: 0 }),
      payload("HMSG", "a", ""),
      op("+OK"),
      op("-ERR", "'e'"),
      op("-ERR", "'f'"),
    ]);
  });

  it("arguments are case-preserving", () => {
    const { events } = whole("PUB Foo.BAR Reply.X 1\r\nq\r\nSUB Foo.* Queue 1\r\n");
    assert.deepEqual(events, [
      args("PUB", "Foo.BAR", 1, { reply: "Reply.X" }),
      payload("PUB", "Foo.BAR", "q"),
      op("SUB", "Foo.* Queue 1"),
    ]);
  });

  it("tabs and runs of spaces separate PUB-like arguments", () => {
    const { events } = whole(
      "PUB\tfoo\t\t 5\r\nhello\r\nPUB   foo  \t bar \t 2  \r\nhi\r\nHPUB \t a\t0\t0\t\r\n\r\nMSG\t a \t 9 \t r 1\r\nx\r\n",
    );
    assert.deepEqual(events, [
      args("PUB", "foo", 5),
      payload("PUB", "foo", "hello"),
      args("PUB", "foo", 2, { reply: "bar" }),
      payload("PUB", "foo", "hi"),
      args("HPUB", "a", 0, { hdr: 0 }),
      payload("HPUB", "a", ""),
      args("MSG", "a", 1, { sid: "9", reply: "r" }),
      payload("MSG", "a", "x"),
    ]);
  });

  it("leading whitespace is skipped for SUB/UNSUB/CONNECT/-ERR; the rest of the line is kept as is", () => {
    const { events } = whole("SUB \t  foo\t 1 \r\nUNSUB\t\t1\r\nCONNECT \t {}\r\n-ERR   'x' \r\n");
    assert.deepEqual(events, [op("SUB", "foo\t 1 "), op("UNSUB", "1"), op("CONNECT", "{}"), op("-ERR", "'x' ")]);
  });

  it("bare LF ends a control line just like CRLF", () => {
    const { events, ok } = whole(
      "PING\nPONG\n+OK\nSUB foo 1\nUNSUB 1\nCONNECT {}\nINFO {}\n-ERR 'x'\nPUB foo 2\nhi\r\nHPUB foo 0 1\nz\r\nMSG foo 1 1\ny\r\n",
    );
    assert.equal(ok, true);
    assert.deepEqual(events, [
      op("PING"),
      op("PONG"),
      op("+OK"),
      op("SUB", "foo 1"),
      op("UNSUB", "1"),
      op("CONNECT", "{}"),
      op("INFO", "{}"),
      op("-ERR", "'x'"),
      args("PUB", "foo", 2),
      payload("PUB", "foo", "hi"),
      args("HPUB", "foo", 1, { hdr: 0 }),
      payload("HPUB", "foo", "z"),
      args("MSG", "foo", 1, { sid: "1" }),
      payload("MSG", "foo", "y"),
    ]);
  });

  it("zero-length payloads (PUB, HPUB 0 0, MSG), whole and split", () => {
    const s = "PUB foo 0\r\n\r\nHPUB foo 0 0\r\n\r\nMSG foo 1 0\r\n\r\nPING\r\n";
    const ref = assertSplitInvariant(s);
    assert.deepEqual(ref.events, [
      args("PUB", "foo", 0),
      payload("PUB", "foo", ""),
      args("HPUB", "foo", 0, { hdr: 0 }),
      payload("HPUB", "foo", ""),
      args("MSG", "foo", 0, { sid: "1" }),
      payload("MSG", "foo", ""),
      op("PING"),
    ]);
  });

  it("payload containing CRLF, LF, CR, NUL and op names is taken by size, not by line", () => {
    const data = "\r\n\r\nPING\r\nPUB x 1\r\n\n\r\0\xff";
    const s = `PUB foo ${data.length}\r\n${data}\r\nPING\r\n`;
    const ref = assertSplitInvariant(s);
    assert.deepEqual(ref.events, [args("PUB", "foo", data.length), payload("PUB", "foo", data), op("PING")]);
  });

  it("size fields: leading zeros accepted, 9 digits is the maximum", () => {
    assert.deepEqual(whole("PUB foo 007\r\n").events, [args("PUB", "foo", 7)]);
    assert.deepEqual(whole("PUB foo 999999999\r\n").events, [args("PUB", "foo", 999999999)]);
    assert.equal(parseSize(bytes("123456789"), 0, 9), 123456789);
    assert.equal(parseSize(bytes("1234567890"), 0, 10), -1);
    assert.equal(parseSize(bytes(""), 0, 0), -1);
    assert.equal(parseSize(bytes("12a"), 0, 3), -1);
    assert.equal(parseSize(bytes("x42y"), 1, 3), 42);
  });
});

describe("Parser: split input", () => {
  // A long stream with every op, payloads with CRLF inside, empty payloads, tabs, odd case,
  // bare-LF lines and a control line just under the limit.
  const hdr = "NATS/1.0\r\nX-A: 1\r\nX-B: two\r\n\r\n";
  const parts = [
    'CONNECT {"verbose":false,"pedantic":false,"headers":true,"name":"split\\r\\ntest"}\r\n',
    "PING\r\n",
    "pong\r\n",
    "SUB foo.* 1\r\n",
    "sub\tfoo.>\tq\t2\n",
    "PUB foo.bar 5\r\nhello\r\n",
    "PUB foo.bar _INBOX.abc 0\r\n\r\n",
    "pub  foo.baz \t reply  4 \r\n\r\n\r\n\r\n",
    `HPUB foo.h ${hdr.length} ${hdr.length + 7}\r\n${hdr}payload\r\n`,
    `hpub foo.h r ${hdr.length} ${hdr.length}\n${hdr}\r\n`,
    "UNSUB 1\r\n",
    "UNSUB 2 100\r\n",
    `INFO {"server_id":"S","max_payload":1048576} \r\n`,
    "MSG foo.bar 1 11\r\nhello\r\nmsg!\r\n",
    "MSG foo.bar 1 _INBOX.1 0\r\n\r\n",
    `HMSG foo.h 2 ${hdr.length} ${hdr.length + 1}\r\n${hdr}Z\r\n`,
    `HMSG foo.h 2 rep ${hdr.length} ${hdr.length}\r\n${hdr}\r\n`,
    "+OK\r\n",
    "-ERR 'Permissions Violation for Publish to \"x\"'\r\n",
    `SUB ${"x".repeat(4092)} 9\r\n`, // a 4094-byte SUB argument (just under the 4096 limit)
    `PUB big ${300} \r\n${"\r\n".repeat(150)}\r\n`,
    "PiNg\n",
  ];
  const stream = parts.join("").repeat(3);

  it("the reference stream parses cleanly", () => {
    const { events, ok } = whole(stream);
    assert.equal(ok, true);
    assert.equal(events.filter((e) => e.ev === "error").length, 0);
    assert.equal(events.length, 3 * 32);
    assert.ok(events.some((e) => e.ev === "payload" && e.data === "\r\n".repeat(150)));
  });

  it("one byte at a time gives the identical event sequence", () => {
    assert.deepEqual(bytewise(stream).events, whole(stream).events);
  });

  it("split in two at every byte boundary gives the identical event sequence", () => {
    const s = parts.join(""); // one copy: ~5 KB, so ~5000 two-chunk parses
    assertSplitInvariant(s, { randomRuns: 0 });
  });

  it("random chunk sizes (seeded) give the identical event sequence", () => {
    const ref = whole(stream).events;
    for (let seed = 1; seed <= 200; seed++) {
      const rand = prng(seed);
      const { events } = feed(randomChunks(stream, rand, 1 + Math.floor(rand() * 2000)));
      assert.deepEqual(events, ref, `seed ${seed}`);
    }
  });

  it("streams ending in an error give the same events and error whichever way they are split", () => {
    const prefix = "SUB a 1\r\nPUB a 3\r\nabc\r\n";
    const tails = [
      "XYZ\r\n",
      "PUB a 3\r\nabcd\r\n",
      "PUB a 3\r\nab\r\nPING\r\n",
      "HPUB a 2 1\r\n",
      "PUB a b c d\r\n",
      "PUB a -3\r\n",
      "SUBX\r\n",
      "PIN\r\n",
      `SUB ${"y".repeat(5000)} 1\r\n`,
      "\r\n",
    ];
    for (const tail of tails) {
      const s = prefix + tail;
      const ref = assertSplitInvariant(s, { randomRuns: 20 });
      assert.equal(ref.ok, false, JSON.stringify(tail.slice(0, 20)));
      const last = ref.events[ref.events.length - 1];
      assert.ok(last.ev === "error" || last.argError !== "", `ends in an error: ${JSON.stringify(tail.slice(0, 20))}`);
    }
  });
});

describe("Parser: payload ranges", () => {
  it("a payload that arrives whole is handed over as the exact range of the input chunk (no copy)", () => {
    const backing = Buffer.alloc(100, 0x55);
    const text = "PUB foo 5\r\nhello\r\nPUB bar 0\r\n\r\nPUB baz 3\r\n\r\n\0\r\n";
    backing.write(text, 10, "latin1");
    const chunk = backing.subarray(10, 10 + text.length);
    const r = new Recorder();
    const p = new Parser(r);
    assert.equal(p.parse(chunk), true);
    assert.equal(r.payloads.length, 3);
    const [a, b, c] = r.payloads;
    assert.equal(a.buf.buffer, chunk.buffer, "no copy");
    assert.equal(a.buf.byteOffset + a.start, chunk.byteOffset + "PUB foo 5\r\n".length);
    assert.equal(a.end - a.start, 5);
    assert.equal(a.buf.toString("latin1", a.start, a.end), "hello");
    assert.equal(b.end - b.start, 0);
    assert.equal(b.buf.byteOffset + b.start, chunk.byteOffset + text.indexOf("PUB bar 0\r\n") + 11);
    assert.equal(c.buf.buffer, chunk.buffer);
    assert.equal(c.buf.byteOffset + c.start, chunk.byteOffset + text.indexOf("PUB baz 3\r\n") + 11);
    assert.deepEqual([...c.buf.subarray(c.start, c.end)], [13, 10, 0]);
  });

  it("a payload split across chunks is handed over as exactly the payload bytes", () => {
    const r = new Recorder();
    const p = new Parser(r);
    p.parse(bytes("PUB foo 10\r\n01234"));
    p.parse(bytes("567"));
    p.parse(bytes("89\r"));
    assert.equal(r.payloads.length, 0, "not delivered before the CRLF");
    p.parse(bytes("\nPING\r\n"));
    assert.equal(r.payloads.length, 1);
    const { buf, start, end } = r.payloads[0];
    assert.equal(end - start, 10);
    assert.equal(buf.toString("latin1", start, end), "0123456789");
    assert.deepEqual(r.events.at(-1), op("PING"));
  });

  it("a payload whose CRLF is in the next chunk is not delivered early", () => {
    const r = new Recorder();
    const p = new Parser(r);
    p.parse(bytes("PUB foo 5\r\nhello"));
    assert.equal(r.payloads.length, 0);
    p.parse(bytes("\r\n"));
    assert.equal(r.events.at(-1).data, "hello");
  });

  it("a payload range never reaches into the next frame", () => {
    const r = new Recorder();
    const p = new Parser(r);
    p.parse(bytes("PUB a 3\r\nabc\r\nPUB b 2\r\nde\r\n"));
    assert.deepEqual(
      r.payloads.map(({ buf, start, end }) => buf.toString("latin1", start, end)),
      ["abc", "de"],
    );
  });
});

describe("Parser: max control line", () => {
  const MCL = 32;
  const arg32 = "s".repeat(MCL - 2) + " 1"; // SUB argument of exactly 32 bytes
  const arg33 = "s".repeat(MCL - 1) + " 1";

  it("an argument of exactly max_control_line bytes passes (CRLF and bare LF)", () => {
    assert.equal(arg32.length, MCL);
    assert.deepEqual(whole(`SUB ${arg32}\r\n`, MCL).events, [op("SUB", arg32)]);
    assert.deepEqual(whole(`SUB ${arg32}\n`, MCL).events, [op("SUB", arg32)]);
    const pubArg = "p".repeat(MCL - 2) + " 0";
    assert.deepEqual(whole(`PUB ${pubArg}\r\n\r\n`, MCL).events, [
      args("PUB", "p".repeat(MCL - 2), 0),
      payload("PUB", "p".repeat(MCL - 2), ""),
    ]);
  });

  it("the op name and the spaces after it do not count", () => {
    assert.deepEqual(whole(`UNSUB \t   ${arg32}\r\n`, MCL).events, [op("UNSUB", arg32)]);
  });

  it("one byte over fails with MaxControlLine and the line", () => {
    assert.equal(arg33.length, MCL + 1);
    const r = whole(`SUB ${arg33}\r\nPING\r\n`, MCL);
    assert.equal(r.ok, false);
    assert.deepEqual(r.events, [err("MaxControlLine", arg33)]);
    const c = whole(`CONNECT {"name":"${"n".repeat(MCL)}"}\r\n`, MCL);
    assert.equal(c.events[0].kind, "MaxControlLine");
  });

  it("an over-long line arriving in pieces fails as soon as it exceeds the limit, before its LF", () => {
    const r = new Recorder();
    const p = new Parser(r, MCL);
    assert.equal(p.parse(bytes("SUB " + "a".repeat(20))), true);
    assert.equal(p.parse(bytes("b".repeat(12))), true, "exactly at the limit so far");
    assert.equal(r.events.length, 0);
    assert.equal(p.parse(bytes("c")), false, "one byte over, no LF yet");
    assert.deepEqual(r.events, [err("MaxControlLine", "a".repeat(20) + "b".repeat(12) + "c")]);
  });

  it("an over-long line without any LF (memory exhaustion attempt) is stopped", () => {
    const r = new Recorder();
    const p = new Parser(r, 4096);
    let ok = true;
    let sent = 0;
    p.parse(bytes("PUB "));
    while (ok && sent < 1e6) {
      ok = p.parse(Buffer.alloc(1000, 0x61));
      sent += 1000;
    }
    assert.equal(ok, false);
    assert.ok(sent <= 5000, `stopped after ${sent} bytes`);
    assert.equal(r.events[0].kind, "MaxControlLine");
  });

  it("an argument exactly at the limit passes when split before its CRLF, or inside the argument", () => {
    assert.deepEqual(feed(["SUB ", arg32, "\r\n"], MCL).events, [op("SUB", arg32)]);
    assert.deepEqual(feed(["SUB " + arg32.slice(0, 10), arg32.slice(10), "\r\nPING\r\n"], MCL).events, [
      op("SUB", arg32),
      op("PING"),
    ]);
  });

  // BUG (the next two tests fail): in state Arg the partial-line check (argLen > maxControlLine)
  // counts a trailing CR whose LF has not arrived yet, so a line exactly at the limit is accepted or
  // rejected depending on how TCP segments it. nats-server does not count it (c.drop keeps the '\r'
  // out of argBuf); checked on the wire against nats-server 2.9.10 with max_control_line 64.
  // Fix: in the partial branch compare `this.argLen - (buf[n - 1] === 13 ? 1 : 0) > this.maxControlLine`.
  it("an argument exactly at the limit passes when the chunk ends between CR and LF", () => {
    assert.deepEqual(feed([`SUB ${arg32}\r`, "\n"], MCL).events, [op("SUB", arg32)]);
  });

  it("an argument exactly at the limit passes when fed one byte at a time", () => {
    assert.deepEqual(bytewise(`SUB ${arg32}\r\n`, MCL).events, [op("SUB", arg32)]);
  });

  it("the limit is the constructor argument (default 4096) and can be changed later", () => {
    assert.equal(new Parser(new Recorder()).maxControlLine, 4096);
    const okArg = "x".repeat(4094) + " 1";
    assert.deepEqual(whole(`SUB ${okArg}\r\n`).events, [op("SUB", okArg)]);
    assert.equal(whole(`SUB x${okArg}\r\n`).events[0].kind, "MaxControlLine");
    const r = new Recorder();
    const p = new Parser(r, 4096);
    p.maxControlLine = 8;
    p.parse(bytes("SUB abcdefg 1\r\n"));
    assert.equal(r.events[0].kind, "MaxControlLine");
  });
});

describe("Parser: bad arguments", () => {
  const cases = [
    ["PUB foo\r\n", args("PUB", "foo", -1, { argError: "parse" }), 'processPub Parse Error: "foo"'],
    ["PUB\t\r\n", args("PUB", "", -1, { argError: "parse" }), 'processPub Parse Error: ""'],
    ["PUB a b c d\r\n", args("PUB", "a", -1, { argError: "parse" }), 'processPub Parse Error: "a b c d"'],
    ["PUB foo bar\r\n", args("PUB", "foo", -1, { argError: "size" }), 'processPub Bad or Missing Size: "foo bar"'],
    [
      "PUB foo r 1x\r\n",
      args("PUB", "foo", -1, { reply: "r", argError: "size" }),
      'processPub Bad or Missing Size: "foo r 1x"',
    ],
    [
      "PUB foo 1234567890\r\n",
      args("PUB", "foo", -1, { argError: "size" }),
      'processPub Bad or Missing Size: "foo 1234567890"',
    ],
    ["PUB foo -1\r\n", args("PUB", "foo", -1, { argError: "size" }), 'processPub Bad or Missing Size: "foo -1"'],
    ["PUB foo +1\r\n", args("PUB", "foo", -1, { argError: "size" }), 'processPub Bad or Missing Size: "foo +1"'],
    ["HPUB foo 5\r\n", args("HPUB", "foo", -1, { argError: "parse" }), 'processHeaderPub Parse Error: "foo 5"'],
    ["HPUB a b c d e\r\n", args("HPUB", "a", -1, { argError: "parse" }), 'processHeaderPub Parse Error: "a b c d e"'],
    [
      "HPUB foo x 5\r\n",
      args("HPUB", "foo", 5, { argError: "hdr" }),
      'processHeaderPub Bad or Missing Header Size: "foo x 5"',
    ],
    [
      "HPUB foo -1 5\r\n",
      args("HPUB", "foo", 5, { argError: "hdr" }),
      'processHeaderPub Bad or Missing Header Size: "foo -1 5"',
    ],
    [
      "HPUB foo 5 x\r\n",
      args("HPUB", "foo", -1, { hdr: 5, argError: "size" }),
      'processHeaderPub Bad or Missing Total Size: "foo 5 x"',
    ],
    [
      "HPUB foo 5 1234567890\r\n",
      args("HPUB", "foo", -1, { hdr: 5, argError: "size" }),
      'processHeaderPub Bad or Missing Total Size: "foo 5 1234567890"',
    ],
    [
      "HPUB foo 6 5\r\n",
      args("HPUB", "foo", 5, { hdr: 6, argError: "hdrsize" }),
      'processHeaderPub Header Size larger then TotalSize: "foo 6 5"',
    ],
    ["MSG foo 1\r\n", args("MSG", "foo", -1, { argError: "parse" }), 'processPub Parse Error: "foo 1"'],
    ["MSG foo 1 x\r\n", args("MSG", "foo", -1, { sid: "1", argError: "size" }), null],
    ["HMSG foo 1 2\r\n", args("HMSG", "foo", -1, { argError: "parse" }), null],
    ["HMSG foo 1 3 2\r\n", args("HMSG", "foo", 2, { sid: "1", hdr: 3, argError: "hdrsize" }), null],
  ];
  for (const [line, expected, text] of cases) {
    it(`${JSON.stringify(line)} -> ${expected.argError}`, () => {
      const r = whole(line + "PING\r\n");
      assert.deepEqual(r.events, [expected], "the handler stops at the bad line");
      assert.equal(r.ok, false);
      if (text !== null) assert.equal(r.parser.argErrorText(), text);
      assert.equal(
        r.parser.lastArgText(),
        line
          .slice(line.search(/[ \t]/))
          .replace(/^[ \t]+/, "")
          .replace(/\r\n$/, ""),
      );
    });
  }

  it("argError is cleared by the next good line", () => {
    // this handler (unlike the server's) goes on after a bad line whose size is usable
    const seen = [];
    const p = new Parser({
      onMsgArgs: (pp) => (seen.push(pp.argError), true),
      onMsgPayload: (_pp, b, st, en) => (seen.push(b.toString("latin1", st, en)), true),
      onOp: () => true,
      onParseError: () => assert.fail("no error expected"),
    });
    assert.equal(p.parse(bytes("HPUB foo 6 5\r\nhello\r\nPUB a 1\r\nx\r\n")), true);
    assert.deepEqual(seen, ["hdrsize", "hello", "", "x"]);
  });
});

describe("Parser: garbage and framing errors", () => {
  const bad = [
    "X",
    "\r\n",
    "\n",
    " PING\r\n",
    "\tPING\r\n",
    "\0",
    "\xff",
    "P\r\n",
    "PX",
    "PIN\r\n",
    "PUN",
    "PUBX foo 1\r\n",
    "PUB\r\n",
    "SUB\r\n",
    "SUBfoo 1\r\n",
    "UNSUB\n",
    "HX",
    "HPUBfoo",
    "HMS ",
    "MSGfoo",
    "M\r",
    "CONECT {}",
    "IFO",
    "+O\r\n",
    "+X",
    "-ER\r\n",
    "-ERR\r\n",
    "-ERRx",
    "OK\r\n",
    "ERR\r\n",
    "GET / HTTP/1.1\r\n",
    "\x16\x03\x01\x02\x00", // a TLS ClientHello
  ];
  for (const s of bad) {
    it(`${JSON.stringify(s)} is an unknown operation`, () => {
      const r = whole(s + "PING\r\n");
      assert.equal(r.ok, false);
      assert.deepEqual(r.events, [err("UnknownOp")]);
      // and the same when it arrives one byte at a time
      assert.deepEqual(bytewise(s + "PING\r\n").events, [err("UnknownOp")]);
    });
  }

  it("garbage after good operations: the good ones are reported first", () => {
    const r = whole("PING\r\nSUB a 1\r\nZZZ\r\nPING\r\n");
    assert.deepEqual(r.events, [op("PING"), op("SUB", "a 1"), err("UnknownOp")]);
  });

  const framing = [
    ["PUB foo 2\r\nhiX\r\n", "a byte instead of CR"],
    ["PUB foo 2\r\nhi\rX", "a byte instead of LF"],
    ["PUB foo 2\r\nhi\n", "bare LF after the payload"],
    ["PUB foo 2\r\nhi\n\r\n", "LF then CRLF"],
    ["PUB foo 2\r\nhello\r\n", "payload longer than announced"],
    ["PUB foo 5\r\nhi\r\nPING\r\n\r\n", "payload shorter than announced swallows the next op"],
    ["PUB foo 0\r\nX\r\n", "zero size but a payload"],
    ["HPUB foo 0 2\r\nhi  ", "HPUB payload followed by spaces"],
    ["MSG foo 1 1\r\nxx", "MSG payload not followed by CRLF"],
  ];
  for (const [s, why] of framing) {
    it(`payload not followed by CRLF (${why}) is an error, whole and split`, () => {
      const ref = assertSplitInvariant(s + "PING\r\n", { randomRuns: 10 });
      assert.equal(ref.ok, false);
      assert.deepEqual(ref.events.at(-1), err("UnknownOp"));
      assert.ok(!ref.events.some((e) => e.ev === "payload"), "the payload is not delivered");
    });
  }
});

describe("Parser: handler stops", () => {
  it("returning false from onOp stops the chunk and stopAt points just past the op", () => {
    const s = bytes("PING\r\nSUB a 1\r\nPONG\r\n");
    const events = [];
    let stopOnce = true;
    const p = new Parser({
      onMsgArgs: () => true,
      onMsgPayload: () => true,
      onOp: (o, a) => {
        events.push([OPS[o], a]);
        if (OPS[o] === "SUB" && stopOnce) {
          stopOnce = false;
          return false;
        }
        return true;
      },
      onParseError: () => assert.fail("no error expected"),
    });
    assert.equal(p.parse(s), false);
    assert.equal(p.stopAt, "PING\r\nSUB a 1\r\n".length);
    assert.deepEqual(events, [
      ["PING", ""],
      ["SUB", "a 1"],
    ]);
    // resuming with the rest continues cleanly
    assert.equal(p.parse(s.subarray(p.stopAt)), true);
    assert.deepEqual(events, [
      ["PING", ""],
      ["SUB", "a 1"],
      ["PONG", ""],
    ]);
  });

  it("returning false from onMsgPayload stops just past the payload's CRLF (fast and split paths)", () => {
    for (const chunks of [["PUB a 2\r\nhi\r\nPING\r\n"], ["PUB a 2\r\nh", "i\r\nPING\r\n"]]) {
      const events = [];
      const p = new Parser({
        onMsgArgs: () => true,
        onMsgPayload: (_p, b, st, en) => (events.push(b.toString("latin1", st, en)), false),
        onOp: (o) => (events.push(OPS[o]), true),
        onParseError: () => assert.fail("no error expected"),
      });
      let last;
      let rest;
      for (const c of chunks) {
        rest = bytes(c);
        last = p.parse(rest);
      }
      assert.equal(last, false);
      assert.equal(rest.subarray(p.stopAt).toString(), "PING\r\n");
      assert.deepEqual(events, ["hi"]);
    }
  });
});
