// What the server keeps of a closed connection for /connz?state=closed|all: a snapshot of the
// figures /connz shows, taken when the connection closes. Like nats-server's closedClient
// (its ConnInfo plus the subscriptions, user and account), it holds strings and numbers only,
// never the connection, its socket, parser, buffers or subscriptions, so the ring of the last
// 10,000 closed connections costs a few hundred bytes each instead of a whole connection.
import type { ClientConnection, CloseReason } from "./conn/client.js";
import type { TLSConnInfo } from "./tls.js";

/**
 * A subscription of a closed connection, as /connz subs=1 and subs=detail show it. No
 * auto-unsubscribe limit: nats-server clears those when it closes a connection, before its
 * snapshot is taken, so closed connections never show one.
 */
export class ClosedSub {
  readonly subject: string;
  /** The queue group, "" when none. */
  readonly queue: string;
  readonly sid: string;
  /** Messages delivered to it. */
  readonly msgs: number;

  constructor(subject: string, queue: string, sid: string, msgs: number) {
    this.subject = subject;
    this.queue = queue;
    this.sid = sid;
    this.msgs = msgs;
  }
}

/** A closed connection kept for monitoring (/connz?state=closed). */
export class ClosedClient {
  readonly cid: number;
  readonly host: string;
  readonly port: number;
  /** Connect, last activity and close times, ms since the epoch. */
  readonly start: number;
  readonly last: number;
  readonly stopTime: number;
  /** Round-trip time in ms. */
  readonly rtt: number;
  /** Outbound bytes dropped unsent at the close. */
  readonly pendingAtClose: number;
  readonly inMsgs: number;
  readonly outMsgs: number;
  readonly inBytes: number;
  readonly outBytes: number;
  readonly name: string;
  readonly lang: string;
  readonly version: string;
  /** /connz's TLS fields (strings only), null for a plain connection. */
  readonly tlsInfo: TLSConnInfo | null;
  /** The user as /connz auth=1 shows it, "" when none. */
  readonly authUser: string;
  /** The account's name. */
  readonly account: string;
  readonly reason: CloseReason;
  /** The subscriptions held at the close, in the order they were made; null when none. */
  readonly subs: readonly ClosedSub[] | null;

  constructor(c: ClientConnection, reason: CloseReason) {
    this.cid = c.cid;
    this.host = c.host;
    this.port = c.port;
    this.start = c.start;
    this.last = c.last;
    this.stopTime = c.stopTime;
    this.rtt = c.rtt;
    this.pendingAtClose = c.pendingAtClose;
    this.inMsgs = c.inMsgs;
    this.outMsgs = c.outMsgs;
    this.inBytes = c.inBytes;
    this.outBytes = c.outBytes;
    this.name = c.name;
    this.lang = c.lang;
    this.version = c.version;
    this.tlsInfo = c.tlsInfo;
    this.authUser = c.authUser;
    this.account = c.account;
    this.reason = reason;
    let subs: ClosedSub[] | null = null;
    if (c.subs.size > 0) {
      subs = [];
      for (const s of c.subs.values()) subs.push(new ClosedSub(s.subject, s.queue ?? "", s.sid, s.nm));
    }
    this.subs = subs;
  }

  get numSubs(): number {
    return this.subs === null ? 0 : this.subs.length;
  }
}

/** A snapshot of connection `c`, closed for `reason`, for the closed ring. */
export function closedSnapshot(c: ClientConnection, reason: CloseReason): ClosedClient {
  return new ClosedClient(c, reason);
}

/**
 * What /connz shows of a client connection whether open or closed: the fields a closed
 * snapshot shares with an open connection's view (monitor/view.ts ConnView).
 */
export type ConnFigures = Pick<
  ClosedClient,
  | "cid"
  | "host"
  | "port"
  | "start"
  | "last"
  | "rtt"
  | "inMsgs"
  | "outMsgs"
  | "inBytes"
  | "outBytes"
  | "name"
  | "lang"
  | "version"
  | "tlsInfo"
  | "authUser"
  | "account"
>;
