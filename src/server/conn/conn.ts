// What every kind of connection shares with the delivery path: its kind, its account, how a
// message reaches one of its subscriptions, and the message being delivered. Client
// connections (client.ts), internal connections (internal.ts) and, later, routes and leaf
// nodes implement `Conn`; the account's subject index holds their `Subscription`s side by side.
import type { SubEntry } from "../sublist.js";
import type { Account } from "../account.js";

/**
 * Connection kinds, as nats-server names them (CLIENT, ROUTER, GATEWAY, LEAF, SYSTEM,
 * JETSTREAM, ACCOUNT). A runtime object, so plain JavaScript can use it too.
 */
export const ConnKind = {
  Client: 0,
  Router: 1,
  Gateway: 2,
  System: 3,
  Leaf: 4,
  JetStream: 5,
  Account: 6,
} as const;
export type ConnKind = (typeof ConnKind)[keyof typeof ConnKind];

/** nats-server's names of the kinds (its kindString), for logs and monitoring. */
export const CONN_KIND_NAMES: readonly string[] = [
  "Client",
  "Router",
  "Gateway",
  "System",
  "Leafnode",
  "JetStream",
  "Account",
];

/**
 * One message on its way through the delivery path. The publisher owns one and refills it for
 * every message, so delivering allocates nothing.
 *
 * Lifetime contract for whoever receives it (internal subscription callbacks included): every
 * field is valid only during the call that hands it over. `buf` is the publisher's read buffer,
 * reused as soon as the call returns, so a receiver that keeps the payload copies
 * `buf.subarray(start, end)` (e.g. `Buffer.from(...)`) before returning; the strings may be kept.
 */
export class InMsg {
  subject = "";
  reply = "";
  /** Header length in bytes at the start of the payload (0: no headers). */
  hdr = 0;
  buf: Buffer = EMPTY;
  /** The message (headers then payload) is buf[start, end). */
  start = 0;
  end = 0;
  /** The connection it came from; null when the server itself publishes. */
  origin: Conn | null = null;
  /** The origin's kind (ConnKind.System for the server itself). */
  kind: ConnKind = ConnKind.Client;
  /**
   * The service import this message is crossing (with the ones before it), null for a plain
   * publish. Stream imports do not take such a message, and an import it already crossed
   * drops it: that is what keeps imports from looping (see imports.ts).
   */
  imported: ImportHop | null = null;

  set(subject: string, reply: string, hdr: number, buf: Buffer, start: number, end: number): this {
    this.subject = subject;
    this.reply = reply;
    this.hdr = hdr;
    this.buf = buf;
    this.start = start;
    this.end = end;
    return this;
  }

  /** The payload without headers, as a view (copy it to keep it). */
  payload(): Buffer {
    return this.buf.subarray(this.start + this.hdr, this.end);
  }

  /** The header block (NATS/1.0 ...\r\n\r\n) as a view, or null. */
  headers(): Buffer | null {
    return this.hdr > 0 ? this.buf.subarray(this.start, this.start + this.hdr) : null;
  }
}

const EMPTY = Buffer.alloc(0);

/** One service import a message has crossed, and the hops before it. */
export interface ImportHop {
  /** The service export crossed (identity only). */
  readonly export: object | null;
  readonly prev: ImportHop | null;
}

/** The in-process handler of an internal subscription (see InMsg for the payload lifetime). */
export type MsgCallback = (sub: Subscription, msg: InMsg) => void;

/** A connection as the delivery path sees it. */
export interface Conn {
  readonly kind: ConnKind;
  readonly cid: number;
  /** The account this connection's subscriptions and publishes belong to. */
  readonly acc: Account;
  /** Deliver to one of this connection's subscriptions; false when it was not taken. */
  deliver(sub: Subscription, m: InMsg): boolean;
}

export class Subscription implements SubEntry {
  /** Messages delivered so far. */
  nm = 0;
  /** Auto-unsubscribe after this many (0: none). */
  max = 0;
  closed = false;
  /** The owner's kind, read by the delivery path without a call. */
  readonly kind: ConnKind;
  constructor(
    readonly conn: Conn,
    readonly subject: string,
    readonly queue: string | null,
    readonly sid: string,
    /** Internal subscriptions: called in-process instead of writing to a socket. */
    readonly cb: MsgCallback | null = null,
  ) {
    this.kind = conn.kind;
  }
}
