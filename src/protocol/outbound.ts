// A reusable outbound byte buffer for protocol writers: the client library's connection and
// the server's client connections (src/server/conn/outbound.ts) both write through it.
//
// Protocol lines are written straight into one growing Buffer: ASCII/UTF-8 strings and
// decimal integers without intermediate strings, payloads with one copy. The owner hands
// the bytes to a socket with take() once per event-loop turn (or when the buffer is
// large), and calls reuse() when the socket took them synchronously, so a steady writer
// keeps using the same memory.
//
// Layout: [start, pos) are the bytes written and not yet taken. A taken range may still
// be referenced by the socket, so the buffer never overwrites it: when more room is
// needed, the untaken bytes move to a fresh allocation ("slab") and the old one is left
// to the socket. `msgs` counts the messages (PUB/HPUB, or MSG/HMSG on a server) in the
// untaken range, so an owner can account for what it holds.
//
// An owner that would rather hand a full buffer to its socket than copy it into a larger
// one (the server) makes room itself before encoding: take() what is there, then fresh()
// when the buffer is still too small, so ensure() finds the room and copies nothing.

const SMALL = 4096;
const EMPTY = Buffer.alloc(0);

export class OutboundBuffer {
  buf: Buffer;
  start = 0;
  pos = 0;
  /** Messages in the untaken range. */
  msgs = 0;
  /** Size of a fresh allocation when a small buffer fills. */
  readonly slab: number;
  /** Size of the first allocation, and of the one after a burst is let go. */
  readonly small: number;

  constructor(slab = 64 * 1024, small = SMALL) {
    this.slab = slab;
    this.small = small;
    this.buf = Buffer.allocUnsafeSlow(small);
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.pos - this.start;
  }

  /** Make room for n more bytes (keeping the untaken ones). */
  ensure(n: number): void {
    if (this.buf.length - this.pos >= n) return;
    const have = this.pos - this.start;
    const size = Math.max(this.slab, have + n + SMALL);
    const nb = Buffer.allocUnsafeSlow(size);
    if (have > 0) this.buf.copy(nb, 0, this.start, this.pos);
    this.buf = nb;
    this.start = 0;
    this.pos = have;
  }

  /** Write a string of chars < 256 as one byte each (protocol names, sids, sizes). */
  putLatin1(s: string): void {
    const n = s.length;
    this.ensure(n);
    const out = this.buf;
    let p = this.pos;
    if (n > 48) p += out.write(s, p, n, "latin1");
    else for (let i = 0; i < n; i++) out[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Write a string as UTF-8 (subjects, payload strings); ASCII takes a plain loop. */
  putUtf8(s: string): void {
    const n = s.length;
    if (n <= 48) {
      this.ensure(n);
      const out = this.buf;
      let p = this.pos;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 128) break;
        out[p++] = c;
      }
      if (i === n) {
        this.pos = p;
        return;
      }
    }
    const len = Buffer.byteLength(s, "utf8");
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, "utf8");
  }

  /** Write a non-negative integer in decimal. */
  putInt(v: number): void {
    this.ensure(16);
    const out = this.buf;
    const p = this.pos;
    if (v < 10) {
      out[p] = 48 + v;
      this.pos = p + 1;
      return;
    }
    let digits = 0;
    for (let t = v; t > 0; t = Math.floor(t / 10)) digits++;
    let q = p + digits - 1;
    for (let t = v; t > 0; t = Math.floor(t / 10)) out[q--] = 48 + (t % 10);
    this.pos = p + digits;
  }

  /** Write one byte (the caller has ensured room). */
  putByte(b: number): void {
    this.buf[this.pos++] = b;
  }

  putSpace(): void {
    this.ensure(1);
    this.buf[this.pos++] = 32;
  }

  putCRLF(): void {
    this.ensure(2);
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
  }

  /** Copy bytes in (small payloads by loop, larger ones natively). */
  putBytes(b: Uint8Array, from = 0, to = b.length): void {
    const n = to - from;
    this.ensure(n);
    const out = this.buf;
    let p = this.pos;
    if (n < 32) for (let k = from; k < to; k++) out[p++] = b[k];
    else {
      out.set(from === 0 && to === b.length ? b : b.subarray(from, to), p);
      p += n;
    }
    this.pos = p;
  }

  /**
   * The untaken bytes as a view, now owned by the caller (e.g. a socket); the buffer
   * will not write over them. Resets the message count.
   */
  take(): Buffer {
    const chunk = this.buf.subarray(this.start, this.pos);
    this.start = this.pos;
    this.msgs = 0;
    return chunk;
  }

  /** Everything taken is no longer referenced: start again at the front of the buffer. */
  reuse(): void {
    if (this.start !== this.pos) return;
    this.start = this.pos = 0;
    // a burst made the buffer large: let it go back to the allocator
    if (this.buf.length > this.slab * 4) this.buf = Buffer.allocUnsafeSlow(this.small);
  }

  /**
   * Start over in a new buffer of `size` bytes, without copying: only when nothing is
   * untaken (the old buffer stays with whoever took its bytes).
   */
  fresh(size: number): void {
    if (this.start !== this.pos) throw new Error("OutboundBuffer.fresh with untaken bytes");
    this.buf = Buffer.allocUnsafeSlow(size);
    this.start = this.pos = 0;
  }

  /** Let the memory go (a closed connection); the next write allocates again. */
  release(): void {
    this.buf = EMPTY;
    this.start = this.pos = 0;
    this.msgs = 0;
  }

  /** Drop the untaken bytes. */
  clear(): void {
    this.pos = this.start;
    this.msgs = 0;
  }
}
