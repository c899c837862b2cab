// The monitoring port's HTTP edges, as Go's net/http (nats-server's monitor) treats them:
// header size limit, request bodies nobody reads, requests Node's parser refuses (unknown
// methods, raw non-ASCII bytes in the path), CONNECT, path escapes, and the bytes of Go's
// own error answers. docs/monitoring.md lists what differs on purpose.
import http from "node:http";
import type net from "node:net";

/** Go's http.Server with MaxHeaderBytes 1 MB (nats-server's) reads up to 1 MB + 4 KB of head. */
export const MAX_HEADER_BYTES = (1 << 20) + 4096;
/** Go's maxPostHandlerReadBytes: the most of an unread body it discards to keep a connection. */
export const MAX_DISCARD_BYTES = 256 << 10;

/** The answer Go's server writes itself (not a handler) to a request it cannot read, then closes. */
export function goErrorBytes(status: number, reason: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${status} ${reason}`;
}

/**
 * Run answer() once the request's body is read, as Go does for a handler that never reads
 * it: a body of up to 256 KB is read and dropped first and the connection stays open; a
 * larger one is not waited for, the answer closes the connection. A body that never
 * completes is answered by the request timeout (408, then close) instead of hanging.
 */
export function afterBody(req: http.IncomingMessage, res: http.ServerResponse, answer: () => void): void {
  const cl = req.headers["content-length"];
  const chunked = req.headers["transfer-encoding"] !== undefined;
  const len = cl === undefined ? 0 : Number(cl);
  if (!chunked && !(len > 0)) {
    answer();
    return;
  }
  if (!chunked && len >= MAX_DISCARD_BYTES) {
    closeAfter(req, res);
    answer();
    return;
  }
  let seen = 0;
  let done = false;
  const finish = (tooBig: boolean) => {
    if (done) return;
    done = true;
    req.off("data", onData);
    req.off("end", onEnd);
    if (tooBig) closeAfter(req, res);
    answer();
  };
  const onData = (d: Buffer) => {
    seen += d.length;
    if (seen > MAX_DISCARD_BYTES) finish(true);
  };
  const onEnd = () => finish(false);
  req.on("data", onData);
  req.on("end", onEnd);
}

/** The answer ends the connection (the rest of the request is never read). */
function closeAfter(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.shouldKeepAlive = false;
  req.pause();
  res.once("finish", () => req.socket.destroySoon());
}

/** A request line and headers Node's parser refused but Go's accepts, read from its bytes. */
export interface RawRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The request Node's HTTP parser stopped at (err.rawPacket, err.bytesParsed), parsed as Go
 * would: a method that is any token, a request URI of any bytes but controls and spaces.
 * Null when Go would refuse it too (or it is not all in the packet).
 */
export function parseRefused(err: Error & { rawPacket?: Buffer; bytesParsed?: number }): RawRequest | null {
  const pkt = err.rawPacket;
  if (pkt === undefined) return null;
  const at = Math.min(err.bytesParsed ?? 0, pkt.length);
  // the refused request starts on the line the parser stopped in
  const start = at === 0 ? 0 : pkt.lastIndexOf(10, at - 1) + 1;
  const end = pkt.indexOf("\r\n\r\n", start, "latin1");
  if (end < 0) return null;
  const lines = pkt.toString("latin1", start, end).split("\r\n");
  const m = /^([^ ]+) ([^ ]+) HTTP\/1\.[01]$/.exec(lines[0]);
  if (m === null || !TOKEN.test(m[1]) || /[\x00-\x1f\x7f]/.test(m[2])) return null;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const c = line.indexOf(":");
    if (c <= 0 || !TOKEN.test(line.slice(0, c))) return null;
    headers[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim();
  }
  return { method: m[1], url: m[2], headers };
}

/**
 * A ServerResponse on a socket Node's server no longer parses (a refused request, CONNECT):
 * req carries what was asked, the answer closes the connection.
 */
export function detachedExchange(
  socket: net.Socket,
  r: RawRequest,
): { req: http.IncomingMessage; res: http.ServerResponse } {
  const req = new http.IncomingMessage(socket);
  req.method = r.method;
  req.url = r.url;
  req.httpVersion = "1.1";
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.headers = r.headers;
  const res = new http.ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket);
  res.once("finish", () => {
    res.detachSocket(socket);
    socket.end();
  });
  return { req, res };
}

/**
 * Go's url.PathUnescape on a request path (bytes as latin1 characters, as Node's parser
 * gives them), as a string of bytes (latin1); null on a bad escape.
 */
export function unescapePath(s: string): string | null {
  if (!s.includes("%")) return s;
  const bytes = Buffer.from(s, "latin1");
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c !== 0x25) {
      out[n++] = c;
      continue;
    }
    const h = hexVal(bytes[i + 1]);
    const l = hexVal(bytes[i + 2]);
    if (h < 0 || l < 0) return null;
    out[n++] = (h << 4) | l;
    i += 2;
  }
  return out.toString("latin1", 0, n);
}

function hexVal(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Go's url.URL.EscapedPath for a path of bytes (latin1), as its redirects write it. */
export function escapePath(bytes: string): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const ch = bytes[i];
    out += /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(ch)
      ? ch
      : "%" + bytes.charCodeAt(i).toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}
