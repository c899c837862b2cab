// Encoders for the operations a client sends (CONNECT, PUB, HPUB, SUB, UNSUB, PING, PONG)
// and the ones a server sends (INFO, MSG, HMSG). Each writes into an OutboundBuffer without
// building intermediate strings.
import type { OutboundBuffer } from "./outbound.js";

export const PING = Buffer.from("PING\r\n", "latin1");
export const PONG = Buffer.from("PONG\r\n", "latin1");

/** The CONNECT line for the given options object (JSON, as every client sends it). */
export function encodeConnect(out: OutboundBuffer, opts: object): void {
  out.putLatin1("CONNECT ");
  out.putUtf8(JSON.stringify(opts));
  out.putCRLF();
}

/**
 * "PUB subject [reply] size\r\npayload\r\n". `payload` is bytes, or a string written as
 * UTF-8 of `size` bytes (the caller measured it with Buffer.byteLength).
 */
export function encodePub(
  out: OutboundBuffer,
  subject: string,
  reply: string,
  payload: Uint8Array | string,
  size: number,
): void {
  out.ensure(12 + subject.length + reply.length + size);
  const b = out.buf;
  let p = out.pos;
  b[p++] = 80;
  b[p++] = 85;
  b[p++] = 66;
  b[p++] = 32;
  out.pos = p;
  putWords(out, subject, reply);
  out.putInt(size);
  out.putCRLF();
  putPayload(out, payload, size);
  out.putCRLF();
  out.msgs++;
}

/** "HPUB subject [reply] hdrSize totalSize\r\nheaders payload\r\n". */
export function encodeHpub(
  out: OutboundBuffer,
  subject: string,
  reply: string,
  hdrs: Uint8Array,
  payload: Uint8Array | string,
  size: number,
): void {
  out.ensure(24 + subject.length + reply.length + hdrs.length + size);
  out.putLatin1("HPUB ");
  putWords(out, subject, reply);
  out.putInt(hdrs.length);
  out.putSpace();
  out.putInt(hdrs.length + size);
  out.putCRLF();
  out.putBytes(hdrs);
  putPayload(out, payload, size);
  out.putCRLF();
  out.msgs++;
}

/** "first " and, when not empty, "second " (subject and reply, or subject and queue). */
function putWords(out: OutboundBuffer, first: string, second: string): void {
  out.putUtf8(first);
  out.putSpace();
  if (second.length > 0) {
    out.putUtf8(second);
    out.putSpace();
  }
}

function putPayload(out: OutboundBuffer, payload: Uint8Array | string, size: number): void {
  if (typeof payload === "string") {
    if (size > 0) {
      out.ensure(size);
      out.pos += out.buf.write(payload, out.pos, size, "utf8");
    }
  } else out.putBytes(payload);
}

/** "SUB subject [queue] sid\r\n". */
export function encodeSub(out: OutboundBuffer, subject: string, queue: string, sid: number): void {
  out.putLatin1("SUB ");
  putWords(out, subject, queue);
  out.putInt(sid);
  out.putCRLF();
}

/** "UNSUB sid [max]\r\n" (max 0: none). */
export function encodeUnsub(out: OutboundBuffer, sid: number, max = 0): void {
  out.putLatin1("UNSUB ");
  out.putInt(sid);
  if (max > 0) {
    out.putSpace();
    out.putInt(max);
  }
  out.putCRLF();
}

export function encodePing(out: OutboundBuffer): void {
  out.putBytes(PING);
}

export function encodePong(out: OutboundBuffer): void {
  out.putBytes(PONG);
}

/**
 * "INFO {json} \r\n", as nats-server writes it (a space before the CRLF). The object is
 * written as JSON in its own key order.
 */
export function encodeInfo(out: OutboundBuffer, info: object): void {
  out.putLatin1("INFO ");
  out.putUtf8(JSON.stringify(info));
  out.putLatin1(" \r\n");
}

/** Room a MSG/HMSG line needs beyond its subject, sid, reply and payload (words, sizes, CRLFs). */
export const MSG_OVERHEAD = 48;

/**
 * "MSG subject sid [reply] size\r\npayload\r\n", the payload being payload[from, to).
 *
 * Subject, sid and reply are written one byte per char: on a server they are the parser's
 * latin1 strings of the bytes the publisher sent, so they go out byte for byte. The payload
 * is copied by a loop when small; a larger one is copied natively, from `payload` itself
 * when [from, to) is all of it (pass a view that is exactly the payload, shared between the
 * subscribers of one message, and nothing is allocated per message).
 */
export function encodeMsg(
  out: OutboundBuffer,
  subject: string,
  sid: string,
  reply: string,
  payload: Uint8Array,
  from: number,
  to: number,
): void {
  out.ensure(MSG_OVERHEAD + subject.length + sid.length + reply.length + (to - from));
  encodeMessage(out, -1, subject, sid, reply, payload, from, to);
  out.msgs++;
}

/**
 * "HMSG subject sid [reply] hdrSize totalSize\r\nheaders payload\r\n": payload[from, to) is the
 * header block (its first `hdr` bytes) then the payload. Same rules as encodeMsg.
 */
export function encodeHmsg(
  out: OutboundBuffer,
  subject: string,
  sid: string,
  reply: string,
  hdr: number,
  payload: Uint8Array,
  from: number,
  to: number,
): void {
  out.ensure(MSG_OVERHEAD + subject.length + sid.length + reply.length + (to - from));
  encodeMessage(out, hdr, subject, sid, reply, payload, from, to);
  out.msgs++;
}

/**
 * MSG when `hdr` < 0, else HMSG with `hdr` header bytes: encodeMsg and encodeHmsg in one, for
 * a deliverer that picks per subscriber and has made room itself. It does NOT check for
 * room: the caller has ensured MSG_OVERHEAD + subject, sid and reply lengths + (to - from)
 * bytes (a server's delivery does so anyway, to hand a full buffer to its socket first;
 * checking twice costs about 8% of a delivery). Nor does it count the message in `out.msgs`:
 * that is the caller's too (the server counts its deliveries itself).
 */
export function encodeMessage(
  out: OutboundBuffer,
  hdr: number,
  subject: string,
  sid: string,
  reply: string,
  payload: Uint8Array,
  from: number,
  to: number,
): void {
  const size = to - from;
  const b = out.buf;
  let p = out.pos;
  if (hdr >= 0) b[p++] = 72;
  b[p++] = 77;
  b[p++] = 83;
  b[p++] = 71;
  b[p++] = 32;
  p = latin1At(b, p, subject);
  b[p++] = 32;
  p = latin1At(b, p, sid);
  b[p++] = 32;
  if (reply.length > 0) {
    p = latin1At(b, p, reply);
    b[p++] = 32;
  }
  if (hdr >= 0) {
    p = intAt(b, p, hdr);
    b[p++] = 32;
  }
  p = intAt(b, p, size);
  b[p++] = 13;
  b[p++] = 10;
  p = bytesAt(b, p, payload, from, to);
  b[p++] = 13;
  b[p++] = 10;
  out.pos = p;
}

/** Copy payload[from, to) to p (small ones by loop, larger natively); returns the new position. */
function bytesAt(b: Buffer, p: number, payload: Uint8Array, from: number, to: number): number {
  const n = to - from;
  if (n < 32) {
    for (let k = from; k < to; k++) b[p++] = payload[k];
    return p;
  }
  b.set(from === 0 && to === payload.length ? payload : payload.subarray(from, to), p);
  return p + n;
}

/** Write a string of chars < 256 at p, one byte each; returns the new position. */
function latin1At(b: Buffer, p: number, s: string): number {
  const n = s.length;
  if (n > 48) return p + b.write(s, p, n, "latin1");
  for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
  return p;
}

/** Write a non-negative integer in decimal at p; returns the new position. */
function intAt(b: Buffer, p: number, v: number): number {
  if (v < 10) {
    b[p] = 48 + v;
    return p + 1;
  }
  let digits = 0;
  for (let t = v; t > 0; t = Math.floor(t / 10)) digits++;
  let q = p + digits - 1;
  for (let t = v; t > 0; t = Math.floor(t / 10)) b[q--] = 48 + (t % 10);
  return p + digits;
}
