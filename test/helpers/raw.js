// Raw-socket helper for byte-exact protocol tests.
import net from "node:net";

/**
 * A raw TCP connection that records every byte the server sends.
 */
export class RawConn {
  /** @param {net.Socket} sock */
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.closed = false;
    this.waiters = [];
    sock.on("data", (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this._wake();
    });
    const onEnd = () => {
      this.closed = true;
      this._wake();
    };
    sock.on("close", onEnd);
    sock.on("end", onEnd);
    sock.on("error", () => onEnd());
  }

  static connect(port, host = "127.0.0.1") {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => resolve(new RawConn(s)));
      s.once("error", reject);
    });
  }

  _wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Everything received so far, as a latin1 string. */
  text() {
    return this.buf.toString("latin1");
  }

  /** Drop what has been received so far. */
  clear() {
    this.buf = Buffer.alloc(0);
  }

  write(data) {
    this.sock.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /**
   * Wait until the received text satisfies pred (a RegExp, a string to include, or a function).
   * Rejects after timeoutMs with what was received.
   */
  waitFor(pred, timeoutMs = 2000) {
    const test =
      typeof pred === "function" ? pred : pred instanceof RegExp ? (t) => pred.test(t) : (t) => t.includes(pred);
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => {
        reject(new Error(`timed out waiting for ${pred}; got ${JSON.stringify(this.text())}`));
      }, timeoutMs);
      const check = () => {
        if (test(this.text())) {
          clearTimeout(deadline);
          resolve(this.text());
        } else if (this.closed) {
          clearTimeout(deadline);
          reject(new Error(`connection closed waiting for ${pred}; got ${JSON.stringify(this.text())}`));
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  /** Wait until the server closes the connection; resolves true if it did within timeoutMs. */
  waitClosed(timeoutMs = 2000) {
    return new Promise((resolve) => {
      const deadline = setTimeout(() => resolve(false), timeoutMs);
      const check = () => {
        if (this.closed) {
          clearTimeout(deadline);
          resolve(true);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** Read the INFO line, parse its JSON, and clear the buffer. */
  async readInfo() {
    const t = await this.waitFor(/^INFO .*\r\n/);
    const line = t.slice(0, t.indexOf("\r\n"));
    this.buf = this.buf.subarray(line.length + 2);
    return JSON.parse(line.slice(5));
  }

  /**
   * Send a PING and wait for everything up to its PONG; returns the text received before the PONG
   * and removes it (and the PONG) from the buffer. Use after a sequence to collect its replies.
   */
  async flush(timeoutMs = 2000) {
    this.write("PING\r\n");
    const t = await this.waitFor((s) => s.includes("PONG\r\n"), timeoutMs);
    const idx = t.lastIndexOf("PONG\r\n");
    const before = t.slice(0, idx);
    this.buf = this.buf.subarray(Buffer.byteLength(t.slice(0, idx + 6), "latin1"));
    return before;
  }

  close() {
    this.sock.destroy();
  }
}

/** Connect, read INFO, send CONNECT (with the given fields) and return the connection and INFO. */
export async function rawConnect(port, connectFields = { verbose: false, pedantic: false }) {
  const c = await RawConn.connect(port);
  const info = await c.readInfo();
  if (connectFields !== null) c.write(`CONNECT ${JSON.stringify(connectFields)}\r\n`);
  return { c, info };
}

/**
 * Write `text` (CONNECT, SUB...) and a PING on a plain socket; resolves at the PONG, once the
 * server has processed all of it. Other "data" listeners on the socket see the same bytes.
 */
export function writeUntilPong(sock, text, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    let got = "";
    const done = (err) => {
      clearTimeout(timer);
      sock.off("data", onData);
      if (err) reject(err);
      else resolve();
    };
    const onData = (d) => {
      got += d.toString("latin1");
      if (got.includes("PONG\r\n")) done();
    };
    const timer = setTimeout(
      () => done(new Error(`no PONG within ${timeoutMs} ms; got ${JSON.stringify(got)}`)),
      timeoutMs,
    );
    sock.on("data", onData);
    sock.write(`${text}PING\r\n`);
  });
}
