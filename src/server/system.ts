// The system account's services, as nats-server 2.10's events.go has them: an internal
// connection (kind System) in the system account publishes connect/disconnect events, the
// account connection counts, the periodic server statistics (STATSZ), lame duck and shutdown
// notices, and answers the monitoring requests ($SYS.REQ.SERVER.PING.VARZ, ...,
// $SYS.REQ.ACCOUNT.<acc>.CONNZ, $SYS.REQ.USER.INFO) with the same JSON as the HTTP endpoints
// (through monitor/answer.ts). An event is built only when someone subscribes to its subject.
//
// nats-server makes every other account import a few of these services (CONNZ and STATZ of
// the account itself, USER.INFO); here each account gets an account-internal connection
// (kind Account) subscribed to those subjects, answering in that account.
import { gzipSync } from "node:zlib";
import { nuid } from "@nats-io/nuid";
import type { Server } from "./server.js";
import type { ClientConnection } from "./conn/client.js";
import type { Account } from "./account.js";
import { ConnKind, type InMsg, type Subscription } from "./conn/conn.js";
import type { InternalConnection } from "./conn/internal.js";
import { NATS_VERSION } from "./version.js";
import { goJSON, goTime } from "./monitor/util.js";
import { CpuSampler, cores, residentMemory } from "./monitor/process.js";
import {
  decodeOptions,
  monitorAnswer,
  OptionsError,
  type DecodedOptions,
  type MonitorAnswer,
  type MonitorEndpoint,
} from "./monitor/answer.js";
import { decodeHeaders } from "../protocol/headers.js";
import { accountStat } from "./monitor/accountz.js";
import { loadConfigOptions } from "./config/load.js";
import { resolveOptions } from "./options.js";

/** nats-server's statsHBInterval: the longest gap between two STATSZ broadcasts. */
export const STATSZ_INTERVAL_MS = 10_000;
/** The first STATSZ comes this soon after start; the gap then doubles up to the interval. */
const STATSZ_FIRST_MS = 250;
/** nats-server's eventsHBInterval: an account's connection count is re-sent this often. */
export const ACC_CONNS_HB_MS = 30_000;

const CONNECT_TYPE = "io.nats.server.advisory.v1.client_connect";
const DISCONNECT_TYPE = "io.nats.server.advisory.v1.client_disconnect";
const ACC_CONNS_TYPE = "io.nats.server.advisory.v1.account_connections";
/** The header nats-server puts the requester's ClientInfo in (shared service imports). */
const CLIENT_INFO_HDR = "Nats-Request-Info";

/** The requests answered per server ($SYS.REQ.SERVER.PING.<name> and .<id>.<name>). */
const SERVER_ENDPOINTS: MonitorEndpoint[] = [
  "VARZ",
  "SUBSZ",
  "CONNZ",
  "ROUTEZ",
  "GATEWAYZ",
  "LEAFZ",
  "ACCOUNTZ",
  "JSZ",
  "HEALTHZ",
];

type Handler = (sub: Subscription, m: InMsg) => void;

export class SystemEvents {
  readonly conn: InternalConnection;
  /** Sequence of the messages that carry a ServerInfo (nats-server's sys.seq). */
  private seq = 0;
  private readonly cpu = new CpuSampler();
  private statszTimer: NodeJS.Timeout | null = null;
  private statszGap = STATSZ_FIRST_MS;
  private readonly statszSubject: string;
  /** Per account: the timer re-sending its connection count while it has connections. */
  private readonly connsTimers = new Map<Account, NodeJS.Timeout>();
  /** Per account other than the system one: the connection standing in for nats-server's imports. */
  private readonly accountConns = new Map<Account, InternalConnection>();
  private running = true;
  /** Messages published so far (events and answers): an event nobody listens to is not one. */
  published = 0;

  constructor(
    private readonly server: Server,
    readonly acc: Account,
  ) {
    this.conn = server.createInternalConnection(ConnKind.System, acc, "SYSTEM");
    this.statszSubject = `$SYS.SERVER.${server.id}.STATSZ`;
  }

  /** Subscribe the services and start the STATSZ heartbeat. */
  start(): void {
    const id = this.server.id;
    const sub = (subject: string, h: Handler) => this.conn.subscribe(subject, h);
    sub("$SYS.REQ.SERVER.PING", (_s, m) => this.statszReq(m));
    for (const name of ["STATSZ", "IDZ", ...SERVER_ENDPOINTS]) {
      const h: Handler =
        name === "STATSZ"
          ? (_s, m) => this.statszReq(m)
          : name === "IDZ"
            ? (_s, m) => this.idzReq(m)
            : (_s, m) =>
                this.zReq(m, name as MonitorEndpoint, (o) => monitorAnswer(this.server, name as MonitorEndpoint, o));
      sub(`$SYS.REQ.SERVER.${id}.${name}`, h);
      sub(`$SYS.REQ.SERVER.PING.${name}`, h);
    }
    sub(`$SYS.REQ.SERVER.${id}.KICK`, (_s, m) => this.kickReq(m));
    sub(`$SYS.REQ.SERVER.${id}.LDM`, (_s, m) => this.ldmReq(m));
    sub(`$SYS.REQ.SERVER.${id}.RELOAD`, (_s, m) => this.reloadReq(m));
    // the account requests: $SYS.REQ.ACCOUNT.<acc>.<name>
    const accReq = (
      name: string,
      ep: MonitorEndpoint | null,
      answer: (acc: string, o: DecodedOptions) => MonitorAnswer | null,
    ) =>
      sub(`$SYS.REQ.ACCOUNT.*.${name}`, (_s, m) => {
        const acc = accountToken(m.subject);
        if (acc !== null) this.zReq(m, ep, (o) => answer(acc, o));
      });
    accReq("SUBSZ", "SUBSZ", (acc, o) =>
      monitorAnswer(this.server, "SUBSZ", withOpts(o, { subscriptions: true, account: acc })),
    );
    accReq("CONNZ", "CONNZ", (acc, o) => monitorAnswer(this.server, "CONNZ", withOpts(o, { acc })));
    accReq("LEAFZ", "LEAFZ", (acc, o) => monitorAnswer(this.server, "LEAFZ", withOpts(o, { account: acc })));
    accReq("JSZ", "JSZ", (acc, o) => monitorAnswer(this.server, "JSZ", withOpts(o, { account: acc })));
    accReq("INFO", null, (acc) => this.accountInfo(acc));
    accReq("STATZ", "ACCSTATZ", (acc, o) =>
      acc === "PING" ? null : this.accountStatz(withOpts(o, { accounts: [acc] })),
    );
    sub("$SYS.REQ.ACCOUNT.*.CONNS", (_s, m) => this.connsReq(m));
    sub("$SYS.REQ.ACCOUNT.PING.STATZ", (_s, m) => this.zReq(m, "ACCSTATZ", (o) => this.accountStatz(o)));
    // user info: direct ($SYS.REQ.USER.<acc>.INFO) and the system account's own users
    sub("$SYS.REQ.USER.*.INFO", (_s, m) => this.userInfoReq(m, false));
    sub("$SYS.REQ.USER.INFO", (_s, m) => this.userInfoReq(m, true));
    for (const a of this.server.accounts.values()) this.accountRegistered(a);
    this.scheduleStatsz();
  }

  /** A new account: give it the services nats-server imports into every account. */
  accountRegistered(a: Account): void {
    if (!this.running || a === this.acc || this.accountConns.has(a)) return;
    const c = this.server.createInternalConnection(ConnKind.Account, a, `ACCOUNT ${a.name}`);
    this.accountConns.set(a, c);
    const connz: Handler = (_s, m) =>
      this.zReq(m, "CONNZ", (o) => monitorAnswer(this.server, "CONNZ", withOpts(o, { acc: a.name })), c);
    c.subscribe("$SYS.REQ.ACCOUNT.PING.CONNZ", connz);
    c.subscribe("$SYS.REQ.SERVER.PING.CONNZ", connz);
    c.subscribe("$SYS.REQ.ACCOUNT.PING.STATZ", (_s, m) =>
      this.zReq(m, "ACCSTATZ", (o) => this.accountStatz(withOpts(o, { accounts: [a.name] })), c),
    );
    c.subscribe("$SYS.REQ.USER.INFO", (_s, m) => this.userInfoReq(m, true, c));
  }

  // ---------------------------------------------------------------- events

  /** A client was authenticated into its account: CONNECT (and the account's count). */
  clientConnected(c: ClientConnection): void {
    const subject = this.connEvent(c, "CONNECT");
    if (subject === null) return;
    const now = Date.now();
    const m = {
      type: CONNECT_TYPE,
      id: nuid.next(),
      timestamp: goTime(now),
      server: this.serverInfo(),
      client: clientInfo(c, false),
    };
    this.send(subject, m);
  }

  /** A client closed: DISCONNECT with its totals and reason (and the account's count). */
  clientDisconnected(c: ClientConnection): void {
    const subject = this.connEvent(c, "DISCONNECT");
    if (subject === null) return;
    const m = {
      type: DISCONNECT_TYPE,
      id: nuid.next(),
      timestamp: goTime(c.stopTime),
      server: this.serverInfo(),
      client: clientInfo(c, true),
      // from the client's side: what it sent is what the server received
      sent: { msgs: c.inMsgs, bytes: c.inBytes },
      received: { msgs: c.outMsgs, bytes: c.outBytes },
      reason: c.closeReason,
    };
    this.send(subject, m);
  }

  /**
   * A client of an account other than $G came or went: update the account's connection count,
   * then the subject of its `ev` event, or null when no one listens.
   */
  private connEvent(c: ClientConnection, ev: "CONNECT" | "DISCONNECT"): string | null {
    const acc = c.acc;
    if (!this.running || acc === this.server.globalAccount) return null;
    this.accConnsUpdate(acc);
    const subject = `$SYS.ACCOUNT.${acc.name}.${ev}`;
    return this.acc.sublist.hasInterest(subject) ? subject : null;
  }

  /** Lame duck mode began: $SYS.SERVER.<id>.LAMEDUCK with this server's info. */
  lameDuck(): void {
    if (!this.running) return;
    const subject = `$SYS.SERVER.${this.server.id}.LAMEDUCK`;
    if (this.acc.sublist.hasInterest(subject)) this.send(subject, this.serverInfo());
  }

  /**
   * The server is shutting down: $SYS.SERVER.<id>.SHUTDOWN, then no more events (the clients
   * closed by the shutdown get no DISCONNECT, as in nats-server), timers and subscriptions gone.
   */
  shutdown(): void {
    if (!this.running) return;
    const subject = `$SYS.SERVER.${this.server.id}.SHUTDOWN`;
    if (this.acc.sublist.hasInterest(subject)) this.send(subject, this.serverInfo());
    this.running = false;
    if (this.statszTimer !== null) clearTimeout(this.statszTimer);
    this.statszTimer = null;
    for (const t of this.connsTimers.values()) clearTimeout(t);
    this.connsTimers.clear();
    for (const c of this.accountConns.values()) c.close();
    this.accountConns.clear();
    this.conn.close();
  }

  /** $SYS.ACCOUNT.<acc>.SERVER.CONNS (and the older $SYS.SERVER.ACCOUNT.<acc>.CONNS). */
  private accConnsUpdate(a: Account): void {
    const old = `$SYS.SERVER.ACCOUNT.${a.name}.CONNS`;
    const cur = `$SYS.ACCOUNT.${a.name}.SERVER.CONNS`;
    this.sendAccConns(a, [old, cur]);
  }

  private sendAccConns(a: Account, subjects: string[]): void {
    const conns = a.clients.size;
    // while the account has connections, the count is re-sent every 30 s
    const t = this.connsTimers.get(a);
    if (conns === 0) {
      if (t !== undefined) clearTimeout(t);
      this.connsTimers.delete(a);
    } else if (t !== undefined) t.refresh();
    else {
      const timer = setTimeout(() => {
        this.connsTimers.delete(a);
        if (this.running) this.accConnsUpdate(a);
      }, ACC_CONNS_HB_MS);
      timer.unref();
      this.connsTimers.set(a, timer);
    }
    const wanted = subjects.filter((s) => this.acc.sublist.hasInterest(s));
    if (wanted.length === 0) return;
    const id = nuid.next();
    const timestamp = goTime(Date.now());
    const view = this.server.monitorView().account(a.name);
    const stat = view === undefined ? {} : accountStat(view);
    for (const s of wanted) {
      this.send(s, { type: ACC_CONNS_TYPE, id, timestamp, server: this.serverInfo(), ...stat });
    }
  }

  // ---------------------------------------------------------------- STATSZ

  private scheduleStatsz(): void {
    const t = setTimeout(() => {
      this.statszTimer = null;
      if (!this.running) return;
      this.statszGap = Math.min(this.statszGap * 2, STATSZ_INTERVAL_MS);
      this.scheduleStatsz();
      this.sendStatsz(this.statszSubject);
    }, this.statszGap);
    t.unref();
    this.statszTimer = t;
  }

  /** ServerStatsMsg to `subject`; the broadcast one only when someone listens. */
  private sendStatsz(subject: string): void {
    if (subject === this.statszSubject && !this.acc.sublist.hasInterest(subject)) return;
    this.send(subject, { server: this.serverInfo(), statsz: this.statsz() });
  }

  private statsz(): Record<string, unknown> {
    const s = this.server;
    const out = s.outStats;
    let active = 0;
    for (const a of s.accounts.values()) if (a.clients.size > 0 || a === this.acc) active++;
    return {
      start: goTime(s.startTime.getTime()),
      mem: residentMemory(),
      cores: cores(),
      cpu: this.cpu.percent(),
      connections: s.clients.size,
      total_connections: s.totalConnections,
      active_accounts: active,
      subscriptions: s.numSubscriptions(),
      sent: { msgs: out.msgs, bytes: out.bytes },
      received: { msgs: s.inMsgs, bytes: s.inBytes },
      slow_consumers: s.slowConsumers,
      active_servers: 1,
    };
  }

  // ---------------------------------------------------------------- requests

  /** $SYS.REQ.SERVER.PING[.STATSZ]: statistics to the reply subject (no reply: the broadcast). */
  private statszReq(m: InMsg): void {
    const reply = m.reply === "" ? this.statszSubject : m.reply;
    const body = bodyOf(m);
    if (body.trim() !== "") {
      let o: DecodedOptions;
      try {
        o = decodeOptions(null, body);
      } catch (e) {
        if (!(e instanceof OptionsError)) throw e;
        this.send(reply, { server: this.serverInfo(), error: { code: 400, description: e.message } });
        return;
      }
      if (this.filtered(o)) return;
    }
    this.send(reply, { server: this.serverInfo(), statsz: this.statsz() });
  }

  /** IDZ: the server's name, host and id, without the envelope. */
  private idzReq(m: InMsg): void {
    if (m.reply === "") return;
    const s = this.server;
    this.send(m.reply, { name: s.name, host: s.opts.host, id: s.id });
  }

  /**
   * One monitoring request (nats-server's zReq): decode the options (400 when Go's decoder
   * would refuse them), stay silent when the filter options leave this server out, answer
   * with `{server, data}` or `{server, error}`. `answer` returning null: no answer at all.
   */
  private zReq(
    m: InMsg,
    ep: MonitorEndpoint | null,
    answer: (o: DecodedOptions) => MonitorAnswer | null,
    via: InternalConnection = this.conn,
    structName?: string,
  ): void {
    const reply = m.reply;
    if (reply === "" || !this.running) return;
    let o: DecodedOptions;
    try {
      o = decodeOptions(ep, bodyOf(m), structName ?? (ep === null ? "AccInfoEventOptions" : undefined));
    } catch (e) {
      if (!(e instanceof OptionsError)) throw e;
      this.respond(via, reply, { error: { code: 400, description: e.message } });
      return;
    }
    if (this.filtered(o)) return;
    const a = answer(o);
    if (a === null) return;
    // a successful answer is compressed as the request's Accept-Encoding asks (nats-server's zReq)
    this.respond(via, reply, a, a.error === undefined && m.hdr > 0 ? acceptEncoding(m) : "");
  }

  private respond(via: InternalConnection, reply: string, a: MonitorAnswer, encoding: Encoding = ""): void {
    const env: Record<string, unknown> = { server: this.serverInfo() };
    if (a.data !== undefined) env.data = a.data;
    const err = a.error;
    // ApiError: description omitted when empty
    if (err !== undefined) env.error = err.description === "" ? { code: err.code } : err;
    this.published++;
    const body = goJSON(env, false);
    if (encoding === "") {
      via.publish(reply, "", body);
      return;
    }
    const raw = Buffer.from(body, "utf8");
    const out = encoding === "gzip" ? gzipSync(raw) : encoding === "snappy" ? snappyFrame(raw) : raw;
    via.publish(reply, "", out, Buffer.from(`NATS/1.0\r\nContent-Encoding: ${encoding}\r\n\r\n`, "latin1"));
  }

  /** EventFilterOptions: true when the request is not for this server. */
  private filtered(o: DecodedOptions): boolean {
    const s = this.server;
    const name = o.get("server_name") as string | undefined;
    if (name !== undefined && name !== "" && !s.name.includes(name)) return true;
    const host = o.get("host") as string | undefined;
    if (host !== undefined && host !== "" && !s.opts.host.includes(host)) return true;
    // no cluster and no JetStream domain here: a filter on either leaves this server out
    const cluster = o.get("cluster") as string | undefined;
    if (cluster !== undefined && cluster !== "") return true;
    const tags = o.get("tags") as string[] | undefined;
    if (tags !== undefined) {
      const have = s.opts.server_tags.map((t) => t.toLowerCase());
      for (const t of tags) if (!have.includes(t.toLowerCase())) return true;
    }
    const domain = o.get("domain") as string | undefined;
    return domain !== undefined && domain !== "";
  }

  /** $SYS.REQ.ACCOUNT.<acc>.INFO: the account's /accountz?acc= detail. */
  private accountInfo(acc: string): MonitorAnswer {
    const a = monitorAnswer(this.server, "ACCOUNTZ", new Map([["account", acc]]));
    if (a.error !== undefined) return a;
    return { data: (a.data as { account_detail?: unknown }).account_detail };
  }

  /** STATZ: /accstatz for the accounts asked; nothing when none has connections (unless include_unused). */
  private accountStatz(o: DecodedOptions): MonitorAnswer | null {
    const a = monitorAnswer(this.server, "ACCSTATZ", o);
    if (a.error === undefined && o.get("include_unused") !== true) {
      const list = (a.data as { account_statz?: unknown[] }).account_statz;
      if (list !== undefined && list.length === 0) return null;
    }
    return a;
  }

  /** $SYS.REQ.ACCOUNT.<acc>.CONNS: the account's connection count, when it has any here. */
  private connsReq(m: InMsg): void {
    const name = accountToken(m.subject);
    if (name === null) return;
    const body = bodyOf(m);
    if (body.trim() !== "") {
      try {
        const v = JSON.parse(body) as { acc?: unknown };
        if (v !== null && typeof v === "object" && v.acc !== undefined && v.acc !== name) return;
      } catch {
        return;
      }
    }
    const a = this.server.lookupAccount(name);
    if (a === undefined || a.clients.size === 0 || m.reply === "") return;
    this.sendAccConns(a, [m.reply]);
  }

  /**
   * USER.INFO: the requester's user, account and permissions. nats-server forwards the request
   * through a shared service import, whose Nats-Request-Info header names the requester; here
   * the request comes straight from the requesting connection (`identify`), or, sent directly to
   * $SYS.REQ.USER.<acc>.INFO, names nobody unless it carries that header (as in nats-server).
   */
  private userInfoReq(m: InMsg, identify: boolean, via: InternalConnection = this.conn): void {
    if (m.reply === "" || !this.running) return;
    let user = "";
    let account = "";
    let named = false;
    const hb = m.headers();
    if (hb !== null) {
      const ci = decodeHeaders(hb, 0, hb.length).get(CLIENT_INFO_HDR);
      if (ci !== "") {
        try {
          const v = JSON.parse(ci) as { user?: unknown; acc?: unknown };
          if (typeof v.user === "string") user = v.user;
          if (typeof v.acc === "string") account = v.acc;
          named = true;
        } catch {
          this.respond(via, m.reply, { error: { code: 400, description: "" } });
          return;
        }
      }
    }
    const o = m.origin;
    const client = o !== null && o.kind === ConnKind.Client ? (o as ClientConnection) : null;
    if (client !== null && identify && !named) {
      user = rawUser(client);
      account = client.acc.name;
    }
    const data: Record<string, unknown> = { user, account };
    const perms = client === null ? null : publicPermissions(client);
    if (perms !== null) data.permissions = perms;
    this.respond(via, m.reply, { data });
  }

  /** $SYS.REQ.SERVER.<id>.KICK {"cid": N}: close that client. */
  private kickReq(m: InMsg): void {
    this.clientReq(m, "no such client or leafnode id", (c) => {
      c.close("Kicked");
      return {};
    });
  }

  /**
   * $SYS.REQ.SERVER.<id>.RELOAD: read the config file again and apply it, as SIGHUP does; the
   * answer (no data, or the reload's error) comes once the reload is done.
   */
  private reloadReq(m: InMsg): void {
    const reply = m.reply;
    let deferred: Promise<void> | null = null;
    this.zReq(
      m,
      null,
      () => {
        const s = this.server;
        if (s.opts.config_file === "") {
          return {
            error: { code: 500, description: "can only reload config when a file is provided using -c or --config" },
          };
        }
        try {
          deferred =
            s.configReload !== null
              ? s.configReload()
              : s.reload(resolveOptions(loadConfigOptions(s.opts.config_file)));
        } catch (e) {
          return { error: { code: 500, description: (e as Error).message } };
        }
        return null;
      },
      this.conn,
      "EventFilterOptions",
    );
    const run = deferred as Promise<void> | null;
    if (run === null) return;
    run.then(
      () => {
        if (reply !== "") this.respond(this.conn, reply, {});
      },
      (e: Error) => {
        if (reply !== "") this.respond(this.conn, reply, { error: { code: 500, description: e.message } });
      },
    );
  }

  /** $SYS.REQ.SERVER.<id>.LDM {"cid": N}: tell that client the server goes into lame duck mode. */
  private ldmReq(m: InMsg): void {
    this.clientReq(m, "no such client id", (c) => {
      if (!c.canTakeAsyncInfo()) {
        return {
          error: {
            code: 500,
            description: "client does not support Lame Duck Mode or is not ready to receive the notification",
          },
        };
      }
      c.sendInfo(this.server.infoFor(c, { ldm: true }));
      this.server.flushSoon(c);
      return {};
    });
  }

  /**
   * A request about one client named by {"cid": N} (KICK, LDM): `act` on it, or a 500 with
   * `missing` when there is no such client.
   */
  private clientReq(m: InMsg, missing: string, act: (c: ClientConnection) => MonitorAnswer): void {
    const cid = this.cidOf(m);
    if (cid === null) return;
    this.zReq(
      m,
      null,
      () => {
        const c = this.server.clients.get(cid);
        if (c === undefined) return { error: { code: 500, description: missing } };
        return act(c);
      },
      this.conn,
      "EventFilterOptions",
    );
  }

  private cidOf(m: InMsg): number | null {
    try {
      const v = JSON.parse(bodyOf(m)) as { cid?: unknown };
      if (v !== null && typeof v === "object") return typeof v.cid === "number" ? v.cid : 0;
    } catch (e) {
      this.server.logger.errorf(`Error unmarshalling kick client request: ${(e as Error).message}`);
    }
    return null;
  }

  // ---------------------------------------------------------------- sending

  /** nats-server's ServerInfo, stamped with the next sequence number and the time. */
  private serverInfo(): Record<string, unknown> {
    const s = this.server;
    const si: Record<string, unknown> = { name: s.name, host: s.opts.host, id: s.id, ver: NATS_VERSION };
    if (s.opts.server_tags.length > 0) si.tags = s.opts.server_tags;
    si.jetstream = false;
    si.flags = 0;
    si.seq = ++this.seq;
    si.time = goTime(Date.now());
    // nats-server's order: name, host, id, cluster, domain, ver, tags, jetstream, flags, seq, time
    return si;
  }

  private send(subject: string, v: unknown): void {
    this.published++;
    this.conn.publish(subject, "", goJSON(v, false));
  }
}

/** A response's Content-Encoding: none, gzip, snappy, or identity for one asked that is neither. */
type Encoding = "" | "gzip" | "snappy" | "identity";

/** nats-server's getAcceptEncoding: snappy (or s2) first, then gzip; anything else: identity. */
function acceptEncoding(m: InMsg): Encoding {
  const hb = m.headers();
  if (hb === null) return "";
  const ae = decodeHeaders(hb, 0, hb.length).get("Accept-Encoding").toLowerCase();
  if (ae === "") return "";
  if (ae.includes("snappy") || ae.includes("s2")) return "snappy";
  if (ae.includes("gzip")) return "gzip";
  return "identity";
}

const CRC32C = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32c(b: Buffer, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC32C[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The Snappy framing format nats-server's snappy writer produces (stream identifier, then
 * chunks with a masked CRC-32C), with the data in uncompressed chunks: valid for every
 * Snappy/S2 stream reader, without a compressor in the server.
 */
function snappyFrame(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59])];
  for (let off = 0; off < data.length || off === 0; off += 65536) {
    const end = Math.min(data.length, off + 65536);
    const h = Buffer.alloc(8);
    const len = end - off + 4;
    h[0] = 0x01;
    h[1] = len & 0xff;
    h[2] = (len >>> 8) & 0xff;
    h[3] = (len >>> 16) & 0xff;
    const crc = crc32c(data, off, end);
    h.writeUInt32LE((((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0, 4);
    parts.push(h, data.subarray(off, end));
    if (end === data.length) break;
  }
  return Buffer.concat(parts);
}

/** The <acc> of $SYS.REQ.ACCOUNT.<acc>.<name> (or of $SYS.REQ.USER.<acc>.INFO). */
function accountToken(subject: string): string | null {
  const t = subject.split(".");
  return t.length === 5 ? t[3] : null;
}

function bodyOf(m: InMsg): string {
  return m.end - m.start > m.hdr ? m.payload().toString("utf8") : "";
}

/** Options given by the request, with the ones the subject fixes laid over them. */
function withOpts(o: DecodedOptions, fixed: Record<string, unknown>): DecodedOptions {
  const out = new Map(o);
  for (const [k, v] of Object.entries(fixed)) out.set(k, v);
  return out;
}

/** nats-server's getRawAuthUser: the nkey or user the client logged in with. */
function rawUser(c: ClientConnection): string {
  return c.authUser === "[REDACTED]" ? "" : c.authUser;
}

/** An nkey user's public key (the nkey login that makes nats-server name an issuer). */
function isNkeyUser(s: string): boolean {
  return s.length === 56 && s[0] === "U" && /^[A-Z2-7]+$/.test(s);
}

/** nats-server's Go duration text is not used here: RTT is a Duration, JSON nanoseconds. */
function rttNs(ms: number): number {
  let ns = Math.round(ms * 1e6);
  if (ns > 1000 && ns < 1e6) ns = Math.floor(ns / 1000) * 1000;
  return ns;
}

/** nats-server's ClientInfo for the connect (no rtt, no stop) and disconnect events. */
function clientInfo(c: ClientConnection, closed: boolean): Record<string, unknown> {
  const ci: Record<string, unknown> = { start: goTime(c.start) };
  if (c.host !== "") ci.host = c.host;
  ci.id = c.cid;
  ci.acc = c.acc.name;
  const user = rawUser(c);
  if (user !== "") ci.user = user;
  if (c.name !== "") ci.name = c.name;
  if (c.lang !== "") ci.lang = c.lang;
  if (c.version !== "") ci.ver = c.version;
  if (closed) {
    const rtt = rttNs(c.rtt);
    if (rtt !== 0) ci.rtt = rtt;
    ci.stop = goTime(c.stopTime);
  }
  // nats-server names the account as the issuer of an nkey user
  if (isNkeyUser(user)) ci.issuer_key = c.acc.name;
  ci.kind = "Client";
  ci.client_type = "nats";
  return ci;
}

/** nats-server's publicPermissions: the user's allow and deny lists, and allow_responses. */
function publicPermissions(c: ClientConnection): Record<string, unknown> | null {
  const p = c.perms;
  if (p === null) return null;
  const list = (sl: typeof p.pubAllow) => (sl === null ? undefined : sl.all().map((e) => e.subject));
  const side = (allow: string[] | undefined, deny: string[] | undefined) => {
    const o: Record<string, unknown> = {};
    if (allow !== undefined && allow.length > 0) o.allow = allow;
    if (deny !== undefined && deny.length > 0) o.deny = deny;
    return o;
  };
  const out: Record<string, unknown> = {
    publish: side(list(p.pubAllow), list(p.pubDeny)),
    subscribe: side(list(p.subAllow), list(p.subDeny)),
  };
  if (p.resp !== null) out.responses = { max: p.resp.max, ttl: Math.round(p.resp.expires * 1e6) };
  return out;
}
