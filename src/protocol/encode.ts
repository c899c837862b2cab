// Encoders for the operations a client sends: CONNECT, PUB, HPUB, SUB, UNSUB, PING, PONG.
// Each writes into an OutboundBuffer without building intermediate strings.
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
