// The byte stream under a connection. The connection drives one Transport per dial through
// this interface only, so a WebSocket transport can be added beside the Node TCP/TLS one.
import net from "node:net";
import tls from "node:tls";
import { readFileSync } from "node:fs";
import type { TlsOptions } from "./options.js";

/** What a transport reports to its connection. */
export interface TransportHandler {
  /** Bytes from the server (valid only during the call unless copied). */
  onData(chunk: Buffer): void;
  /** The stream ended or failed; called once. */
  onClose(err: Error | undefined): void;
}

export interface DialTarget {
  hostname: string;
  port: number;
  /** Name to verify the certificate against ("" for an IP address). */
  tlsName: string;
}

export interface Transport {
  /** True once the stream is TLS. */
  readonly encrypted: boolean;
  /** Bytes handed to write() not yet passed to the operating system. */
  readonly writableLength: number;
  /**
   * Open the stream; `tls` (null: none asked for) is used by startTLS, or at once when
   * `tls.handshakeFirst`. Data flows to the handler after it resolves.
   */
  connect(target: DialTarget, tlsOpts: TlsOptions | null, handler: TransportHandler): Promise<void>;
  /** Upgrade the open stream to TLS (after the server's INFO asked for it). */
  startTLS(): Promise<void>;
  /** Queue bytes; the transport owns `b` from now on. */
  write(b: Uint8Array): void;
  /** Send what is queued, then close. */
  end(): void;
  /** Close at once. */
  destroy(): void;
}

/** TCP or TLS over node:net / node:tls. */
export class NodeTransport implements Transport {
  private socket: net.Socket | null = null;
  private handler: TransportHandler | null = null;
  private target: DialTarget | null = null;
  private tlsOpts: TlsOptions | null = null;
  private done = false;
  encrypted = false;

  get writableLength(): number {
    return this.socket === null ? 0 : this.socket.writableLength;
  }

  connect(target: DialTarget, tlsOpts: TlsOptions | null, handler: TransportHandler): Promise<void> {
    this.target = target;
    this.tlsOpts = tlsOpts;
    this.handler = handler;
    return new Promise((resolve, reject) => {
      let s: net.Socket;
      const fail = (err: Error): void => {
        s.destroy();
        reject(err);
      };
      if (tlsOpts?.handshakeFirst) {
        s = tls.connect({ host: target.hostname, port: target.port, ...secureOptions(target, tlsOpts) }, () => {
          s.off("error", fail);
          this.encrypted = true;
          this.attach(s);
          resolve();
        });
      } else {
        s = net.connect({ host: target.hostname, port: target.port }, () => {
          s.off("error", fail);
          this.attach(s);
          resolve();
        });
      }
      s.once("error", fail);
      s.setNoDelay(true);
      this.socket = s;
    });
  }

  startTLS(): Promise<void> {
    const raw = this.socket;
    const target = this.target;
    if (raw === null || target === null) return Promise.reject(new Error("not connected"));
    raw.removeAllListeners("data");
    raw.removeAllListeners("close");
    raw.removeAllListeners("error");
    raw.on("error", () => {}); // the TLS socket reports errors from here on
    return new Promise((resolve, reject) => {
      const s = tls.connect({ socket: raw, ...secureOptions(target, this.tlsOpts ?? {}) }, () => {
        s.off("error", fail);
        this.encrypted = true;
        this.attach(s);
        resolve();
      });
      const fail = (err: Error): void => {
        s.destroy();
        raw.destroy();
        reject(err);
      };
      s.once("error", fail);
      this.socket = s;
    });
  }

  private attach(s: net.Socket): void {
    const h = this.handler as TransportHandler;
    let lastErr: Error | undefined;
    s.on("data", (b: Buffer) => h.onData(b));
    s.on("error", (err) => {
      lastErr = err;
    });
    s.on("close", () => {
      if (this.done) return;
      this.done = true;
      h.onClose(lastErr);
    });
  }

  write(b: Uint8Array): void {
    if (this.socket !== null && !this.done) this.socket.write(b);
  }

  end(): void {
    if (this.socket !== null) this.socket.end();
  }

  destroy(): void {
    this.done = true;
    if (this.socket !== null) this.socket.destroy();
  }
}

function secureOptions(target: DialTarget, o: TlsOptions): tls.ConnectionOptions {
  const opts: tls.ConnectionOptions = { host: target.hostname };
  if (target.tlsName !== "") opts.servername = target.tlsName;
  const ca = o.ca ?? (o.caFile ? readFileSync(o.caFile, "utf8") : undefined);
  const cert = o.cert ?? (o.certFile ? readFileSync(o.certFile, "utf8") : undefined);
  const key = o.key ?? (o.keyFile ? readFileSync(o.keyFile, "utf8") : undefined);
  if (ca !== undefined) opts.ca = [ca];
  if (cert !== undefined) opts.cert = cert;
  if (key !== undefined) opts.key = key;
  if (o.rejectUnauthorized === false) opts.rejectUnauthorized = false;
  return opts;
}
