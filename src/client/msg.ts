// A received message. `data` is the payload (a copy owned by the message); headers are
// decoded on first access.
import { decodeHeaders, type MsgHdrsImpl } from "../protocol/headers.js";
import type { MsgHdrs, Payload, PublishOptions } from "./types.js";

export interface Msg {
  subject: string;
  sid: number;
  reply?: string;
  data: Uint8Array;
  headers?: MsgHdrs;
  respond(payload?: Payload, opts?: PublishOptions): boolean;
  json<T = unknown>(reviver?: (key: string, value: unknown) => unknown): T;
  string(): string;
}

/** What a message needs to respond. */
export interface Responder {
  publish(subject: string, payload?: Payload, options?: PublishOptions): void;
}

export class MsgImpl implements Msg {
  subject: string;
  sid: number;
  reply: string | undefined;
  data: Uint8Array;
  private raw: Buffer | null;
  private hdrLen: number;
  private decoded: MsgHdrsImpl | undefined = undefined;
  private readonly publisher: Responder;

  /** `raw` holds the headers (first hdrLen bytes, hdrLen -1 without) and the payload. */
  constructor(publisher: Responder, subject: string, sid: number, reply: string, raw: Buffer, hdrLen: number) {
    this.publisher = publisher;
    this.subject = subject;
    this.sid = sid;
    this.reply = reply === "" ? undefined : reply;
    if (hdrLen > 0) {
      this.raw = raw;
      this.hdrLen = hdrLen;
      this.data = raw.subarray(hdrLen);
    } else {
      this.raw = null;
      this.hdrLen = -1;
      this.data = raw;
    }
  }

  get headers(): MsgHdrs | undefined {
    if (this.raw !== null && this.decoded === undefined) {
      this.decoded = decodeHeaders(this.raw, 0, this.hdrLen);
    }
    return this.decoded;
  }

  set headers(h: MsgHdrs | undefined) {
    this.raw = null;
    this.decoded = h as MsgHdrsImpl | undefined;
  }

  respond(payload?: Payload, opts?: PublishOptions): boolean {
    if (this.reply === undefined || this.reply === "") return false;
    this.publisher.publish(this.reply, payload, opts);
    return true;
  }

  string(): string {
    const d = this.data;
    return Buffer.from(d.buffer, d.byteOffset, d.length).toString("utf8");
  }

  json<T = unknown>(reviver?: (key: string, value: unknown) => unknown): T {
    return JSON.parse(this.string(), reviver as Parameters<typeof JSON.parse>[1]) as T;
  }
}
