// One client connection: parses what the client sends, applies it (subscriptions,
// permissions, publishes into its account) and delivers messages to its subscriptions.
// Its parts live beside it: the outbound buffer, held writes and write deadline
// (outbound.ts), authentication and its reload re-checks (auth.ts), and producer pausing
// (stall.ts). Behaviour follows nats-server's client.go; texts of -ERR lines are nats-server's.
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { X509Certificate } from "node:crypto";
import type { TLSConnInfo } from "../tls.js";
import { Op, ParseErrorKind, Parser, parseSize, type ParserHandler } from "../../protocol/parser.js";
import { isValidLiteralSubject, subjectMatches } from "../../protocol/subject.js";
import { goQuote } from "../../protocol/quote.js";
import { ConnectDecodeError, decodeConnect, defaultConnectOptions } from "../../protocol/connect.js";
import { encodeHmsg, encodeInfo, encodeMessage, MSG_OVERHEAD } from "../../protocol/encode.js";
import { timerMs } from "../duration.js";
import { SublistError } from "../sublist.js";
import { ConnKind, InMsg, Subscription, type Conn } from "./conn.js";
import { Outbound } from "./outbound.js";
import { ClientAuth } from "./auth.js";
import { Stall } from "./stall.js";
import type { Account, CountedConn } from "../account.js";
import type { AuthRequest, AuthResult } from "../auth/authenticator.js";
import type { CompiledPermissions } from "../auth/permissions.js";
import type { Server, ServerInfo } from "../server.js";

/** Why a connection was closed, in nats-server's words (as /connz shows them). */
export type CloseReason =
  | "Client Closed"
  | "Authentication Timeout"
  | "Authentication Failure"
  | "Slow Consumer (Pending Bytes)"
  | "Slow Consumer (Write Deadline)"
  | "Write Error"
  | "Read Error"
  | "Parse Error"
  | "Stale Connection"
  | "Protocol Violation"
  | "Bad Client Protocol Version"
  | "Maximum Connections Exceeded"
  | "Maximum Message Payload Exceeded"
  | "Maximum Control Line Exceeded"
  | "Maximum Subscriptions Exceeded"
  | "Server Shutdown"
  | "No Responders Requires Headers"
  | "TLS Handshake Failure"
  | "Kicked";

/** nats-server's replyPermLimit and replyPruneTime. */
const REPLY_PRUNE_COUNT = 4096;
const REPLY_PRUNE_MS = 1000;
const PONG = Buffer.from("PONG\r\n");
const PING = Buffer.from("PING\r\n");
const OK = Buffer.from("+OK\r\n");
/** The header block of a no-responders status message. */
const NO_RESPONDERS = Buffer.from("NATS/1.0 503\r\n\r\n", "latin1");

/** Reply tracking for allow_responses. */
interface RespTrack {
  t: number;
  n: number;
}

export class ClientConnection implements ParserHandler, Conn, CountedConn {
  readonly kind = ConnKind.Client;
  readonly cid: number;
  readonly server: Server;
  /** The connection's socket: a tls.TLSSocket once a TLS handshake has begun (see tls.ts). */
  socket: Socket;
  readonly parser: Parser;
  readonly host: string;
  readonly port: number;
  readonly start = Date.now();
  /** The nonce sent in INFO (nkey users), "" when none was. */
  nonce = "";
  /** The TLS handshake came before the INFO (handshake_first; /connz tls_first). */
  tlsFirst = false;
  /** /connz's TLS fields, taken when the handshake completed (kept for the closed ring). */
  tlsInfo: TLSConnInfo | null = null;
  /** "ip:port - cid:N", nats-server's prefix for this connection's log lines. */
  private label: string;

  // CONNECT (nats-server's defaults until a CONNECT says otherwise)
  verbose = true;
  pedantic = true;
  echo = true;
  headers = false;
  noResponders = false;
  name = "";
  lang = "";
  version = "";
  protocol = 0;
  connectReceived = false;
  /** Answered a PING after CONNECT: the client is ready for asynchronous INFO. */
  private firstPongSent = false;
  /** Input read but not yet parsed while parsing is paused (auth check, stall). */
  private stash: Buffer | null = null;

  // the connection's parts
  /** What is queued for the socket, and how it is written (outbound.ts). */
  readonly out: Outbound;
  /** Authentication: the auth timer, CONNECT's check, reload re-checks (auth.ts). */
  readonly auth: ClientAuth;
  /** Producer pausing, as producer and as reader (stall.ts). */
  readonly stall: Stall;

  // identity and permissions
  user = "";
  /** The user as /connz auth=1 shows it: CONNECT's nkey, user or "[REDACTED]" for a token. */
  authUser = "";
  /** The account this connection is bound to: the global account until CONNECT says otherwise. */
  acc: Account;
  perms: CompiledPermissions | null = null;
  private replies: Map<string, RespTrack> | null = null;
  private repliesSincePrune = 0;
  private lastReplyPrune = 0;

  readonly subs = new Map<string, Subscription>();
  /** The message being published, refilled for each PUB/HPUB (see InMsg). */
  private readonly msg = new InMsg();

  // statistics
  inMsgs = 0;
  inBytes = 0;
  outMsgs = 0;
  outBytes = 0;
  private lastIn = Date.now();
  /** Last time this connection sent messages or changed its subscriptions (/connz last_activity). */
  last = Date.now();
  /** Round-trip time in ms (fractional: measured with performance.now()). */
  rtt = 0;
  private rttStart = 0;
  private readonly startHr = performance.now();

  /** On the server's list of connections to flush this turn. */
  dirty = false;

  closed = false;
  closeReason: CloseReason | "" = "";
  stopTime = 0;
  /** Outbound bytes still pending when the connection closed (/connz state=closed). */
  pendingAtClose = 0;
  private pingsOut = 0;
  private pingTimer: NodeJS.Timeout | null = null;

  constructor(server: Server, socket: Socket, cid: number) {
    this.server = server;
    this.socket = socket;
    this.cid = cid;
    this.host = socket.remoteAddress ?? "";
    this.port = socket.remotePort ?? 0;
    this.label = this.baseLabel();
    this.parser = new Parser(this, server.opts.max_control_line);
    this.out = new Outbound(this);
    this.auth = new ClientAuth(this);
    this.stall = new Stall(this);
    this.acc = server.globalAccount;
    this.msg.origin = this;
  }

  /** The account's name (monitoring, logs). */
  get account(): string {
    return this.acc.name;
  }

  toString(): string {
    return this.label;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Send INFO and start reading; called by the server once the connection is registered. */
  begin(info: ServerInfo): void {
    this.sendInfoNow(info);
    this.startProtocol();
  }

  /** Write INFO at once (before a TLS handshake, or right after a TLS-first one). */
  sendInfoNow(info: ServerInfo): void {
    // under a negative max_pending or write_deadline nats-server cannot even send its INFO: the
    // queued INFO is over the limit, or its write is past the deadline, and the client is cut
    const lim = this.server.opts;
    if (lim.max_pending < 0) {
      this.slowConsumer();
      return;
    }
    if (lim.write_deadline < 0) {
      this.out.writeDeadlineExceeded();
      return;
    }
    this.sendInfo(info);
    this.flush();
  }

  /** Start reading the protocol on this.socket (plain, or TLS once its handshake is done). */
  startProtocol(): void {
    // cut already (a negative write_deadline or max_pending closes it before its INFO)
    if (this.closed) return;
    const s = this.socket;
    s.setNoDelay(true);
    s.on("data", (buf: Buffer) => this.onData(buf));
    s.on("end", () => this.close("Client Closed"));
    s.on("close", () => this.close("Client Closed"));
    s.on("error", (err: NodeJS.ErrnoException) => {
      if (!this.closed) {
        const reason: CloseReason = err.code === "EPIPE" ? "Write Error" : "Read Error";
        if (err.code !== "ECONNRESET" && err.code !== "EPIPE") this.errorf(`${reason.toLowerCase()}: ${err.message}`);
        this.close(reason);
      }
    });
    s.on("drain", () => this.onDrain());
    const o = this.server.opts;
    if (this.auth.expectConnect) this.auth.startTimer();
    this.setPingTimer(o.ping_interval);
    // below -1, nats-server's registration finds the connection already at its subscription
    // limit: it says so and closes the connection 20 ms later
    if (o.max_subscriptions < -1) {
      this.errorf("maximum subscriptions exceeded");
      this.sendErr("maximum subscriptions exceeded");
      setTimeout(() => this.close("Maximum Subscriptions Exceeded"), 20);
    }
  }

  private setPingTimer(ms: number): void {
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => this.onPingTimer(), timerMs(ms));
  }

  private onPingTimer(): void {
    this.pingTimer = null;
    if (this.closed) return;
    const o = this.server.opts;
    this.debugf("Client Ping Timer");
    const now = Date.now();
    // as client.go processPingTimer: activity delays a PING unless an RTT is due (none measured
    // yet, e.g. the first PING after CONNECT, or the last one an hour ago:
    // DEFAULT_RTT_MEASUREMENT_INTERVAL)
    const needRtt = this.rtt === 0 || this.rttStart === 0 || performance.now() - this.rttStart > 3_600_000;
    if (now - this.lastIn < o.ping_interval && !needRtt) {
      this.debugf(`Delaying PING due to remote client data or ping ${Math.round((now - this.lastIn) / 1000)}s ago`);
    } else {
      if (this.pingsOut + 1 > o.ping_max) {
        this.debugf("Stale Client Connection - Closing");
        this.sendErr("Stale Connection");
        this.close("Stale Connection");
        return;
      }
      this.sendPing();
    }
    this.setPingTimer(o.ping_interval);
  }

  private sendPing(): void {
    this.pingsOut++;
    this.rttStart = performance.now();
    if (this.server.logger.traceEnabled) this.tracef("->> [PING]");
    this.enqueue(PING);
    this.flush();
  }

  /**
   * Close the connection. What was queued for it (an -ERR, say) is still written, except
   * for slow consumers, whose backlog is dropped as nats-server does.
   */
  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.stopTime = Date.now();
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = null;
    this.auth.close();
    this.stall.close();
    // a closed connection stays in the closed ring: keep no read buffers alive through it
    this.stash = null;
    this.parser.release();
    for (const sub of this.subs.values()) {
      sub.closed = true;
      this.acc.removeSub(sub);
    }
    this.debugf(`Client connection closed: ${reason}`);
    // as nats-server's closeConnection: each remaining subscription is traced as removed,
    // except when the whole server is shutting down
    if (this.server.logger.traceEnabled && reason !== "Server Shutdown") {
      for (const sub of this.subs.values()) this.tracef(`<-> [DELSUB ${sub.sid}]`);
    }
    const s = this.socket;
    const skipFlush =
      reason === "Slow Consumer (Pending Bytes)" ||
      reason === "Slow Consumer (Write Deadline)" ||
      reason === "Write Error" ||
      reason === "Read Error" ||
      reason === "TLS Handshake Failure";
    // what is dropped unsent; the rest is still written out
    const dropped = this.out.close(skipFlush);
    if (skipFlush) this.pendingAtClose = dropped;
    if (skipFlush || s.destroyed) s.destroy();
    else {
      s.end(() => s.destroy());
      // a peer that never reads must not keep the socket open
      const t = setTimeout(() => s.destroy(), 2000);
      s.once("close", () => clearTimeout(t));
    }
    this.server.clientClosed(this);
  }

  // ---------------------------------------------------------------- inbound

  private onData(buf: Buffer): void {
    if (this.closed) return;
    this.lastIn = Date.now();
    if (this.auth.pending || this.stall.stalled) {
      this.stash = this.stash === null ? buf : Buffer.concat([this.stash, buf]);
      return;
    }
    const msgs = this.inMsgs;
    this.parseChunk(buf);
    // activity, as nats-server counts it: messages (or subscription changes) in this read
    if (this.inMsgs !== msgs) this.last = this.lastIn;
  }

  /** Parse what was held back and read again, once nothing pauses this connection. */
  resumeInput(): void {
    if (this.closed || this.auth.pending || this.stall.stalled) return;
    const rest = this.stash;
    this.stash = null;
    if (rest !== null && rest.length > 0) this.parseChunk(rest);
    else this.server.flushSoon(this);
    if (!this.closed && !this.auth.pending && !this.stall.stalled) this.socket.resume();
  }

  private parseChunk(buf: Buffer): void {
    try {
      this.parseChunkUnsafe(buf);
    } catch (e) {
      // a bug must cost at most this connection, never the server or other clients
      this.errorf(`Unexpected error: ${(e as Error).stack ?? String(e)}`);
      this.close("Protocol Violation");
    }
  }

  private parseChunkUnsafe(buf: Buffer): void {
    const p = this.parser;
    if (!p.parse(buf) && !this.closed && (this.auth.pending || this.stall.stalled)) {
      // stopped to wait for an asynchronous auth check or a slow subscriber: keep the rest
      const rest = buf.subarray(p.stopAt);
      this.stash = this.stash === null ? rest : Buffer.concat([rest, this.stash]);
      this.socket.pause();
    }
    this.server.flushSoon(this);
  }

  onParseError(kind: ParseErrorKind, arg: Buffer | null): void {
    if (kind === ParseErrorKind.MaxControlLine) {
      const len = arg?.length ?? 0;
      const snip = arg === null ? "" : goQuote(arg.subarray(0, 128).toString("latin1"));
      this.errorf(
        `maximum control line exceeded: State ${this.parser.opName}, max_control_line ${this.parser.maxControlLine}, Buffer len ${len} (snip: ${snip}...)`,
      );
      this.sendErr("maximum control line exceeded");
      this.close("Maximum Control Line Exceeded");
      return;
    }
    const auth = this.auth;
    if (auth.expectConnect && !this.connectReceived && this.parser.op !== Op.Connect && !auth.tryNoAuthUser()) {
      auth.violation();
      return;
    }
    this.sendErr("Unknown Protocol Operation");
    this.errorf(`Client parser ERROR, op=${this.parser.opName || "?"}`);
    this.close("Protocol Violation");
  }

  onMsgArgs(p: Parser): boolean {
    // kept small, like onMsgPayload, so that V8 inlines both into the parser: refusals are a
    // method of their own
    if (p.op !== Op.Pub && p.op !== Op.Hpub) {
      this.onParseError(ParseErrorKind.UnknownOp, null);
      return false;
    }
    if (!this.auth.checkBeforeOp()) return false;
    if (this.server.logger.traceEnabled) this.traceMsgArgs(p);
    const mp = this.server.opts.max_payload;
    // as nats-server: -1 is no limit, and any other negative value refuses every message
    if (p.argError !== "" || (p.op === Op.Hpub && !this.headers) || (mp !== -1 && p.size > mp)) {
      return this.msgArgsRefused(p, mp);
    }
    if (this.pedantic && !isValidLiteralSubject(p.subject)) this.sendErr("Invalid Publish Subject");
    return true;
  }

  private traceMsgArgs(p: Parser): void {
    this.tracef(`<<- [${p.opName} ${p.lastArgText()}]`);
  }

  /** A PUB/HPUB refused before its payload (onMsgArgs): reported, the connection closed. */
  private msgArgsRefused(p: Parser, mp: number): false {
    if (p.op === Op.Hpub && !this.headers) {
      this.errorf("message headers not supported");
      this.close("Protocol Violation");
    } else if (p.argError !== "") {
      this.errorf(p.argErrorText());
      this.close("Protocol Violation");
    } else {
      this.errorf(`maximum payload exceeded: ${p.size} vs ${mp}`);
      this.sendErr("Maximum Payload Violation");
      this.close("Maximum Message Payload Exceeded");
    }
    return false;
  }

  onMsgPayload(p: Parser, buf: Buffer, start: number, end: number): boolean {
    // kept small enough for V8 to inline into the parser: rare paths are methods of their own
    const acc = this.acc;
    const subject = acc.mappings.size === 0 ? p.subject : this.mapSubject(p.subject);
    const reply = p.reply;
    const size = end - start;
    this.inMsgs++;
    this.inBytes += size;
    const srv = this.server;
    srv.inMsgs++;
    srv.inBytes += size;
    if (srv.logger.traceEnabled) this.traceMsg(buf, start, end);
    // "_" for _GR_. subjects; a reply longer than 3 may be a reserved one
    if ((this.perms !== null || reply.length > 3 || subject.charCodeAt(0) === 95) && this.pubRefused(subject, reply)) {
      return !this.closed;
    }
    if (this.verbose) this.sendOK();
    // a mapping whose weights chose no destination: the message goes nowhere
    // (the parser's hdr is -1 for a PUB: InMsg's is 0 without headers)
    const delivered =
      subject !== "" && acc.deliverFill(this.msg, subject, reply, p.hdr > 0 ? p.hdr : 0, buf, start, end);
    if (!delivered && reply.length > 0 && this.noResponders) this.sendNoResponders(reply);
    return !this.closed && !this.stall.stalled;
  }

  /**
   * The publish checks past the common case (onMsgPayload calls this only when one can apply):
   * _GR_. subjects, publish permissions, reserved reply subjects. True when refused (reported).
   */
  private pubRefused(subject: string, reply: string): boolean {
    if (subject.length > 5 && subject.startsWith("_GR_.")) {
      this.pubPermissionViolation(subject);
      return true;
    }
    const perms = this.perms;
    if (perms !== null && perms.hasPub && !this.pubAllowed(subject)) {
      this.pubPermissionViolation(subject);
      return true;
    }
    if (reply.length > 3 && isReservedReply(reply)) {
      this.sendErr(`Permissions Violation for Publish with Reply of ${goQuote(reply)}`);
      this.errorf(`Publish Violation - ${this.authLabel()}, Reply ${goQuote(reply)}`);
      return true;
    }
    return false;
  }

  /** The account's mappings applied to a published subject (nats-server traces it as MAPPING). */
  private mapSubject(subject: string): string {
    const to = this.acc.mappings.map(subject);
    if (to === null) return subject;
    if (this.server.logger.traceEnabled) this.tracef(`<<- [MAPPING ${subject} -> ${to}]`);
    return to;
  }

  /** A request nobody can answer: tell the requester with a 503 status, as nats-server does. */
  private sendNoResponders(reply: string): void {
    if (this.closed) return;
    for (const sub of this.subs.values()) {
      if (subjectMatches(reply, sub.subject)) {
        const n = NO_RESPONDERS.length;
        this.out.ensure(MSG_OVERHEAD + reply.length + sub.sid.length + n);
        encodeHmsg(this.out.buf, reply, sub.sid, "", n, NO_RESPONDERS, 0, n);
        this.server.flushSoon(this);
        return;
      }
    }
  }

  onOp(op: Op, arg: string): boolean {
    if (op !== Op.Connect && !this.auth.checkBeforeOp()) return false;
    const tracing = this.server.logger.traceEnabled;
    switch (op) {
      case Op.Ping:
        if (this.connectReceived) this.firstPongSent = true;
        if (tracing) this.tracef("<<- [PING]");
        if (tracing) this.tracef("->> [PONG]");
        this.enqueue(PONG);
        return true;
      case Op.Pong:
        if (tracing) this.tracef("<<- [PONG]");
        this.pingsOut = 0;
        if (this.rttStart > 0) this.rtt = Math.max(0.001, performance.now() - this.rttStart);
        return true;
      case Op.Connect:
        if (tracing) this.tracef(`<<- [CONNECT ${redactSecrets(arg)}]`);
        return this.processConnect(arg);
      case Op.Sub:
        if (tracing) this.tracef(`<<- [SUB ${arg}]`);
        return this.processSub(arg);
      case Op.Unsub:
        if (tracing) this.tracef(`<<- [UNSUB ${arg}]`);
        return this.processUnsub(arg);
      case Op.Info:
        // clients have no business sending INFO; nats-server ignores a well-formed one
        try {
          JSON.parse(arg);
        } catch (e) {
          this.errorf(String((e as Error).message));
          this.close("Protocol Violation");
          return false;
        }
        return true;
      case Op.Ok:
        return true;
      case Op.Err:
        this.errorf(`Client Error ${arg}`);
        this.close("Parse Error");
        return false;
      default:
        this.onParseError(ParseErrorKind.UnknownOp, null);
        return false;
    }
  }

  private processConnect(arg: string): boolean {
    this.auth.stopTimer();
    const ci = defaultConnectOptions();
    ci.verbose = this.verbose;
    ci.pedantic = this.pedantic;
    ci.echo = this.echo;
    try {
      decodeConnect(Buffer.from(arg, "latin1").toString("utf8"), ci);
    } catch (e) {
      if (!(e instanceof ConnectDecodeError)) throw e;
      this.errorf(e.message);
      this.close("Protocol Violation");
      return false;
    }
    this.rtt = Math.max(0.001, performance.now() - this.startHr);
    this.last = Date.now();
    if (!this.connectReceived) {
      const o = this.server.opts;
      let d = o.ping_interval;
      if (!o.disable_short_first_ping && d > 2000) d = 2000;
      this.setPingTimer(d + Math.floor(Math.random() * (d / 5)));
    }
    this.connectReceived = true;
    this.verbose = ci.verbose;
    this.pedantic = ci.pedantic;
    this.echo = ci.echo;
    this.headers = ci.headers && !this.server.opts.no_header_support;
    this.noResponders = ci.no_responders;
    this.name = ci.name;
    this.lang = ci.lang;
    this.version = ci.version;
    this.protocol = ci.protocol;
    this.updateLabel();
    const req: AuthRequest = {
      user: ci.user,
      pass: ci.pass,
      auth_token: ci.auth_token,
      nkey: ci.nkey,
      sig: ci.sig,
      jwt: ci.jwt,
      nonce: this.nonce,
      peerCert: peerCertificate(this.socket),
      log: this,
      remoteAddress: this.host,
    };
    this.authUser = ci.nkey || ci.user || (ci.auth_token !== "" ? "[REDACTED]" : "");
    this.auth.connectNkey = ci.nkey;
    // accounts are chosen by the server, never by the client's CONNECT
    if (ci.account !== "" || ci.new_account) return this.finishConnect(null, req);
    return this.auth.checkConnect(req);
  }

  /**
   * CONNECT checked (auth.ts): refuse it, or take the identity it gives and check what the
   * client asked for. True when the connection goes on.
   */
  finishConnect(res: AuthResult | null, req: AuthRequest): boolean {
    if (res === null) {
      this.auth.violation(req.user);
      return false;
    }
    this.auth.accept(res, req);
    this.server.events?.clientConnected(this);
    if (this.protocol < 0 || this.protocol > 1) {
      this.sendErr("invalid client protocol");
      this.close("Bad Client Protocol Version");
      return false;
    }
    if (this.noResponders && !this.headers) {
      this.sendErr("no responders requires headers support");
      this.close("No Responders Requires Headers");
      return false;
    }
    if (this.verbose) this.sendOK();
    return true;
  }

  /** The user and permissions authentication gave this connection (auth.ts). */
  setIdentity(user: string, perms: CompiledPermissions | null): void {
    this.user = user;
    if (this.authUser === "") this.authUser = user;
    this.perms = perms;
    this.replies = perms?.resp ? new Map() : null;
  }

  /** New permissions (config reload): replies tracked for allow_responses are kept. */
  setPermissions(perms: CompiledPermissions | null): void {
    this.perms = perms;
    if (perms?.resp) this.replies ??= new Map();
    else this.replies = null;
  }

  // ---------------------------------------------------------------- config reload

  /** The credentials to re-check on a config reload; null before CONNECT was accepted. */
  reloadAuthRequest(): AuthRequest | null {
    return this.auth.reloadRequest();
  }

  /** A connection still waiting for its CONNECT: the new authenticator will check it. */
  reloadPendingAuth(authRequired: boolean): void {
    this.auth.reloadPending(authRequired);
  }

  /** Config reload: the credentials no longer pass. nats-server sends the usual violation. */
  reloadAuthViolation(): void {
    this.auth.reloadViolation();
  }

  /** Config reload: the permissions of the re-check; subscriptions they deny are dropped. */
  reloadPermissions(res: AuthResult): void {
    this.auth.reloadPermissions(res);
  }

  /** Config reload: a new max_control_line for what is parsed from now on. */
  setMaxControlLine(n: number): void {
    this.parser.maxControlLine = n;
  }

  /** Config reload lowered max_connections below the number connected. */
  maxConnExceeded(): void {
    this.errorf("maximum connections exceeded");
    this.sendErr("maximum connections exceeded");
    this.close("Maximum Connections Exceeded");
  }

  private processSub(arg: string): boolean {
    this.last = this.lastIn;
    const args = splitArgs(arg);
    let subject: string;
    let queue: string | null = null;
    let sid: string;
    if (args.length === 2) {
      subject = args[0];
      sid = args[1];
    } else if (args.length === 3) {
      subject = args[0];
      queue = args[1];
      sid = args[2];
    } else {
      this.errorf(`processSub Parse Error: ${goQuote(arg)}`);
      this.close("Protocol Violation");
      return false;
    }
    if ((this.perms !== null && !this.perms.canSubscribe(subject, queue)) || queue === "_sys_") {
      this.subPermissionViolation(subject, queue, sid);
      return true;
    }
    const max = this.server.opts.max_subscriptions;
    // 0 and -1 are no limit; as in nats-server, a value below -1 refuses every SUB
    if (max !== 0 && max !== -1 && this.subs.size >= max) {
      this.errorf("maximum subscriptions exceeded");
      this.sendErr("maximum subscriptions exceeded");
      return true;
    }
    if (!this.subs.has(sid)) {
      const sub = new Subscription(this, subject, queue, sid);
      try {
        this.acc.addSub(sub);
      } catch (e) {
        if (e instanceof SublistError) {
          this.sendErr("Invalid Subject");
          return true;
        }
        throw e;
      }
      this.subs.set(sid, sub);
    }
    if (this.verbose) this.sendOK();
    return true;
  }

  private processUnsub(arg: string): boolean {
    this.last = this.lastIn;
    const args = splitArgs(arg);
    let max = -1;
    if (args.length === 2) {
      const b = Buffer.from(args[1], "latin1");
      max = parseSize(b, 0, b.length);
    } else if (args.length !== 1) {
      this.errorf(`processUnsub Parse Error: ${goQuote(arg)}`);
      this.close("Protocol Violation");
      return false;
    }
    if (this.verbose) this.sendOK();
    const sub = this.subs.get(args[0]);
    if (sub !== undefined) {
      if (max > 0 && max > sub.nm) sub.max = max;
      else this.unsubscribe(sub);
    }
    return true;
  }

  unsubscribe(sub: Subscription): void {
    if (sub.closed) return;
    if (this.server.logger.traceEnabled) this.tracef(`<-> [DELSUB ${sub.sid}]`);
    sub.closed = true;
    this.subs.delete(sub.sid);
    this.acc.removeSub(sub);
  }

  // ---------------------------------------------------------------- permissions

  private pubAllowed(subject: string): boolean {
    const perms = this.perms as CompiledPermissions;
    if (perms.canPublish(subject)) return true;
    const replies = this.replies;
    if (replies === null || perms.resp === null) return false;
    const r = replies.get(subject);
    if (r === undefined) return false;
    r.n++;
    const resp = perms.resp;
    if ((resp.max > 0 && r.n > resp.max) || (resp.expires > 0 && Date.now() - r.t > resp.expires)) {
      replies.delete(subject);
      return false;
    }
    return true;
  }

  /**
   * allow_responses: remember a reply subject this client may answer. Used-up and expired
   * entries are pruned every REPLY_PRUNE_COUNT additions or REPLY_PRUNE_MS, as nats-server
   * does, so a responder that never answers does not grow the map without bound.
   */
  private trackReply(reply: string): void {
    const replies = this.replies as Map<string, RespTrack>;
    const now = Date.now();
    replies.set(reply, { t: now, n: 0 });
    if (++this.repliesSincePrune < REPLY_PRUNE_COUNT && now - this.lastReplyPrune < REPLY_PRUNE_MS) return;
    const resp = (this.perms as CompiledPermissions).resp;
    if (resp !== null) {
      for (const [k, r] of replies) {
        if ((resp.max > 0 && r.n >= resp.max) || (resp.expires > 0 && now - r.t > resp.expires)) replies.delete(k);
      }
    }
    this.repliesSincePrune = 0;
    this.lastReplyPrune = now;
  }

  private pubPermissionViolation(subject: string): void {
    this.sendErr(`Permissions Violation for Publish to ${goQuote(subject)}`);
    this.errorf(`Publish Violation - ${this.authLabel()}, Subject ${goQuote(subject)}`);
  }

  private subPermissionViolation(subject: string, queue: string | null, sid: string): void {
    if (queue !== null) {
      this.sendErr(`Permissions Violation for Subscription to ${goQuote(subject)} using queue ${goQuote(queue)}`);
      this.errorf(
        `Subscription Violation - ${this.authLabel()}, Subject ${goQuote(subject)}, Queue: ${goQuote(queue)}, SID ${sid}`,
      );
    } else {
      this.sendErr(`Permissions Violation for Subscription to ${goQuote(subject)}`);
      this.errorf(`Subscription Violation - ${this.authLabel()}, Subject ${goQuote(subject)}, SID ${sid}`);
    }
  }

  private authLabel(): string {
    return this.user !== "" ? `User ${goQuote(this.user)}` : 'User ""';
  }

  // ---------------------------------------------------------------- outbound

  /**
   * Deliver a message to one of this connection's subscriptions. Returns false when it
   * was not delivered (echo off, auto-unsubscribed, closed, slow consumer).
   */
  deliver(sub: Subscription, m: InMsg): boolean {
    if (this.closed || sub.closed) return false;
    const from = m.origin;
    if (from === this && !this.echo) return false;
    const subject = m.subject;
    const reply = m.reply;
    const hdr = m.hdr;
    const buf = m.buf;
    const start = m.start;
    const end = m.end;
    const perms = this.perms;
    if (perms !== null && perms.subDeny !== null && perms.deliveryDenied(subject)) return false;
    const nm = ++sub.nm;
    if (sub.max > 0 && nm > sub.max) {
      this.unsubscribe(sub);
      return false;
    }
    const withHdr = hdr > 0 && this.headers;
    // a subscriber that did not ask for headers gets the message without them
    const from0 = hdr > 0 && !this.headers ? start + hdr : start;
    const size = end - from0;
    const maxPending = this.server.opts.max_pending;
    const out = this.out;
    const ob = out.buf;
    // as pendingBytes, read field by field: this is the hot path
    const pending = ob.pos - ob.start + out.heldBytes + this.socket.writableLength + size;
    if (maxPending > 0 && pending > maxPending) {
      this.slowConsumer();
      return false;
    }
    const sid = sub.sid;
    const room = MSG_OVERHEAD + subject.length + sid.length + reply.length + size;
    if (ob.buf.length - ob.pos < room) out.ensure(room);
    // a small payload is copied from the read buffer, a larger one from one view of it shared
    // by every subscriber of this message (Server.payloadView); one call site, so it inlines
    let src = buf;
    let a = from0;
    let z = end;
    if (size >= 32) {
      src = this.server.payloadView(buf, from0, end);
      a = 0;
      z = size;
    }
    // MSG, or HMSG with its header bytes
    encodeMessage(ob, withHdr ? hdr : -1, subject, sid, reply, src, a, z);
    this.outMsgs++;
    this.outBytes += size;
    if (this.server.logger.traceEnabled) {
      this.tracef(
        `->> [${withHdr ? "HMSG" : "MSG"} ${subject} ${sid}${reply ? " " + reply : ""}${withHdr ? " " + hdr : ""} ${size}]`,
      );
    }
    if (this.replies !== null && reply.length > 0) this.trackReply(reply);
    if (sub.max > 0 && nm === sub.max) {
      this.debugf(`Auto-unsubscribe limit of ${sub.max} reached for sid '${sid}'`);
      this.unsubscribe(sub);
    }
    this.server.flushSoon(this);
    // Falling behind a producer: hand it the backlog now and pause that producer, so a
    // burst does not push a reader that keeps up over max_pending (nats-server's stall).
    // The producer may be this connection itself (it stops being read until its own
    // backlog drains) or one this connection feeds in turn (a cycle): every stall ends
    // when its reader drains or makes no progress, so none waits on another for good.
    if (from instanceof ClientConnection && maxPending > 0 && pending > maxPending / 2) {
      from.stall.stallOn(this);
      this.flush();
    }
    return true;
  }

  private slowConsumer(): void {
    this.server.slowConsumers++;
    this.noticef(`Slow Consumer Detected: MaxPending of ${this.server.opts.max_pending} Exceeded`);
    this.close("Slow Consumer (Pending Bytes)");
  }

  enqueue(b: Buffer): void {
    if (this.closed) return;
    this.out.enqueue(b);
    this.server.flushSoon(this);
  }

  enqueueLatin1(s: string): void {
    if (this.closed) return;
    this.out.enqueueLatin1(s);
    this.server.flushSoon(this);
  }

  private sendOK(): void {
    if (this.server.logger.traceEnabled) this.tracef("->> [OK]");
    this.enqueue(OK);
  }

  sendErr(text: string): void {
    if (this.server.logger.traceEnabled) this.tracef(`->> [-ERR ${text}]`);
    this.enqueueLatin1(`-ERR '${text}'\r\n`);
  }

  /** Write what is queued. Called by the server once per event-loop turn. */
  flush(): void {
    this.dirty = false;
    if (this.closed) return;
    this.out.flush();
  }

  /** The socket took what it had: the next held batch, and paused producers may go on. */
  private onDrain(): void {
    if (this.out.onDrain()) this.stall.releaseStallers();
  }

  /** Pending outbound bytes (queued here and in the socket). */
  get pendingBytes(): number {
    return this.out.queued + (this.closed ? 0 : this.socket.writableLength);
  }

  canTakeAsyncInfo(): boolean {
    return this.protocol >= 1 && this.firstPongSent;
  }

  /** Send an INFO line to this client (lame duck mode, updates). */
  sendInfo(info: ServerInfo): void {
    if (this.closed) return;
    encodeInfo(this.out.buf, info);
    this.server.flushSoon(this);
  }

  // ---------------------------------------------------------------- logging

  private updateLabel(): void {
    let ncs = "";
    if (this.version !== "") ncs = `v${this.version}`;
    if (this.lang !== "") ncs = ncs === "" ? this.lang : `${ncs}:${this.lang}`;
    if (this.name !== "") ncs = ncs === "" ? this.name : `${ncs}:${this.name}`;
    const base = this.baseLabel();
    this.label = ncs === "" ? base : `${base} - ${goQuote(ncs)}`;
  }

  private baseLabel(): string {
    return `${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port} - cid:${this.cid}`;
  }

  private traceMsg(buf: Buffer, start: number, end: number): void {
    const max = this.server.opts.max_traced_msg_len;
    if (max > 0 && end - start > max) {
      const q = goQuote(buf.toString("latin1", start, start + max));
      this.tracef(`<<- MSG_PAYLOAD: ["${q.slice(1, max + 1)}..."]`);
    } else {
      this.tracef(`<<- MSG_PAYLOAD: [${goQuote(buf.toString("latin1", start, end))}]`);
    }
  }

  debugf(msg: string): void {
    const l = this.server.logger;
    if (l.debugEnabled) l.debugf(`${this.label} - ${msg}`);
  }
  tracef(msg: string): void {
    this.server.logger.tracef(`${this.label} - ${msg}`);
  }
  noticef(msg: string): void {
    this.server.logger.noticef(`${this.label} - ${msg}`);
  }
  /** A server-level warning (no connection prefix), as nats-server's s.Warnf. */
  warnf(msg: string): void {
    this.server.logger.warnf(msg);
  }
  errorf(msg: string): void {
    this.server.logger.errorf(`${this.label} - ${msg}`);
  }
}

/** The client's certificate on a TLS connection, for verify_and_map. */
function peerCertificate(s: Socket): X509Certificate | undefined {
  return s instanceof TLSSocket ? s.getPeerX509Certificate() : undefined;
}

/** Replies the server keeps for itself: service imports, JetStream acks, gateway routing. */
function isReservedReply(reply: string): boolean {
  return (
    reply.startsWith("_R_.") ||
    (reply.length > 8 && reply.startsWith("$JS.ACK.")) ||
    (reply.length > 5 && reply.startsWith("_GR_."))
  );
}

/** Split SUB/UNSUB args on spaces, tabs, CR and LF, like nats-server's splitArg. */
function splitArgs(arg: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < arg.length; i++) {
    const c = arg.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13 || c === 10) {
      if (start >= 0) {
        out.push(arg.slice(start, i));
        start = -1;
      }
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(arg.slice(start));
  return out;
}

/** Hide passwords and tokens in traced CONNECT lines, as nats-server does. */
function redactSecrets(arg: string): string {
  return arg
    .replace(/("pass"\s*:\s*")([^"]*)(")/g, "$1[REDACTED]$3")
    .replace(/("auth_token"\s*:\s*")([^"]*)(")/g, "$1[REDACTED]$3");
}
