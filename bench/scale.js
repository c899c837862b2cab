#!/usr/bin/env node
// Scale load process for `npm run bench`: opens many client connections to one server on
// loopback, each doing CONNECT (+ optional SUBs) and a PING/PONG handshake, and keeps them
// open until told to go. Runs as its own process so the server's memory and the load
// generator's are never mixed up.
//
// usage: node bench/scale.js --port PORT [--host 127.0.0.1] [--conns N] [--subs S] [--window W]
//
// Prints one JSON line when every connection has its PONG:
//   {"ready":true,"conns":N,"subs":S,"ms":<first connect to last PONG>,"errors":0}
// or {"ready":false,...,"error":"..."} and exits 1 when connections fail or time out.
// It then holds the connections until stdin closes or a line arrives, destroys them and exits.
import net from "node:net";
import { performance } from "node:perf_hooks";
import { intArg } from "./lib.js";

function parseArgs(argv) {
  const o = { host: "127.0.0.1", port: 0, conns: 1000, subs: 0, window: 256, timeoutMs: 120000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const num = () => intArg(a, argv[++i]);
    if (a === "--host") (o.host = v), i++;
    else if (a === "--port") o.port = num();
    else if (a === "--conns") o.conns = num();
    else if (a === "--subs") o.subs = num();
    else if (a === "--window") o.window = Math.max(1, num());
    else if (a === "--timeout-ms") o.timeoutMs = num();
    else throw new Error(`unknown argument ${a}`);
  }
  if (o.port <= 0 || o.port > 65535) throw new Error("--port is required (1-65535)");
  return o;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`scale.js: ${e.message}\n`);
  process.exit(2);
}

const PONG = Buffer.from("PONG\r\n");
const sockets = [];
let started = 0;
let done = 0;
let inFlight = 0;
let failed = null;
let finished = false;
const t0 = performance.now();

/** The handshake bytes for connection i: CONNECT, its subscriptions, PING. */
function hello(i) {
  let s = 'CONNECT {"verbose":false,"pedantic":false,"name":"scale"}\r\n';
  for (let k = 0; k < opts.subs; k++) s += `SUB scale.c${i}.s${k} ${k + 1}\r\n`;
  return s + "PING\r\n";
}

function finish(ok, error) {
  if (finished) return;
  finished = true;
  clearTimeout(timer);
  const ms = performance.now() - t0;
  const line = { ready: ok, conns: done, wanted: opts.conns, subs: opts.subs, ms: Math.round(ms * 10) / 10 };
  if (error) line.error = error;
  process.stdout.write(JSON.stringify(line) + "\n");
  if (!ok) {
    closeAll();
    process.exitCode = 1;
    return;
  }
  // hold the connections until the parent is done measuring
  process.stdin.on("data", () => closeAll());
  process.stdin.on("end", () => closeAll());
  process.stdin.resume();
}

function closeAll() {
  for (const s of sockets) s.destroy();
  sockets.length = 0;
  process.stdin.pause();
  process.stdin.unref?.();
}

function openNext() {
  while (!finished && inFlight < opts.window && started < opts.conns) {
    const i = started++;
    inFlight++;
    const s = net.connect({ host: opts.host, port: opts.port });
    sockets.push(s);
    let seen = Buffer.alloc(0);
    let ok = false;
    s.setNoDelay(true);
    s.on("connect", () => s.write(hello(i)));
    s.on("data", (d) => {
      if (ok) return; // later traffic (server PINGs) is not part of the measurement
      seen = seen.length === 0 ? d : Buffer.concat([seen, d]);
      if (seen.indexOf(PONG) >= 0) {
        ok = true;
        seen = Buffer.alloc(0);
        inFlight--;
        done++;
        if (done === opts.conns) finish(true);
        else openNext();
      } else if (seen.indexOf("-ERR") >= 0) {
        failed ??= `connection ${i}: ${seen
          .toString("latin1")
          .split("\r\n")
          .find((l) => l.startsWith("-ERR"))}`;
        finish(false, failed);
      }
    });
    s.on("error", (e) => {
      if (!ok && !finished) finish(false, `connection ${i}: ${e.message}`);
    });
    s.on("close", () => {
      if (!ok && !finished) finish(false, `connection ${i} closed by the server before its PONG`);
    });
  }
}

const timer = setTimeout(
  () => finish(false, `timed out after ${opts.timeoutMs} ms with ${done} of ${opts.conns} connections ready`),
  opts.timeoutMs,
);
if (opts.conns === 0) finish(true);
else openNext();
