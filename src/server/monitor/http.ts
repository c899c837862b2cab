// The HTTP monitoring listener (http_port / -m): nats-server's endpoints, same paths, query
// parameters, JSON field names, status codes and headers (monitor.go), plus /metrics in
// Prometheus text format and the /dashboard page.
import http from "node:http";
import https from "node:https";
import { goAddr, handshakeErrorText, tcpPair, type TLSContext } from "../tls.js";
import type net from "node:net";
import type { MonitorView } from "./view.js";
import { BadRequest, goJSONParts } from "./util.js";
import { MonitorQueue, type Rendering } from "./queue.js";
import { handleVarz } from "./varz.js";
import { handleConnz } from "./connz.js";
import { handleSubsz } from "./subsz.js";
import {
  handleAccountStatz,
  handleAccountz,
  handleGatewayz,
  handleHealthz,
  handleJsz,
  handleLeafz,
  handleRoutez,
} from "./misc.js";
import { handleMetrics } from "./metrics.js";
import { indexPage } from "./index-page.js";
import { DASHBOARD_HTML } from "./dashboard.js";
import { CpuSampler } from "./process.js";
import {
  MAX_HEADER_BYTES,
  afterBody,
  detachedExchange,
  escapePath,
  goErrorBytes,
  parseRefused,
  unescapePath,
} from "./wire.js";

/** What an endpoint answers: a value sent as JSON (JSONP with ?callback=), or a finished body. */
export type Reply =
  | { kind: "json"; value: unknown; status?: number; compact?: boolean }
  | { kind: "raw"; body: string; contentType: string; status?: number };

/**
 * What an endpoint reads: the server's read-only view, the request counters and the CPU
 * sampler. The MonitorServer is one; the $SYS answers can bring their own.
 */
export interface Monitor {
  readonly view: MonitorView;
  /** Requests served per endpoint, as varz http_req_stats (nats-server's keys). */
  readonly reqStats: ReadonlyMap<string, number>;
  readonly cpu: CpuSampler;
}

export type Handler = (m: Monitor, q: URLSearchParams) => Reply;

/** Endpoints whose answers grow with the connections and subscriptions: answered in slices (queue.ts). */
const QUEUED = new Set(["/connz", "/subsz", "/subscriptionsz", "/accountz", "/accstatz", "/metrics"]);

/** Endpoint paths, in the order the index page lists them. */
const ROUTES: ReadonlyArray<[string, Handler]> = [
  ["/varz", handleVarz],
  ["/connz", handleConnz],
  ["/routez", handleRoutez],
  ["/gatewayz", handleGatewayz],
  ["/leafz", handleLeafz],
  ["/subsz", handleSubsz],
  // nats-server serves the same handler under this older name (counted as /subsz)
  ["/subscriptionsz", handleSubsz],
  ["/accountz", handleAccountz],
  ["/accstatz", handleAccountStatz],
  ["/jsz", handleJsz],
  ["/healthz", handleHealthz],
  ["/metrics", handleMetrics],
];

export class MonitorServer implements Monitor {
  readonly view: MonitorView;
  /** Requests served per endpoint, as varz http_req_stats (nats-server's keys). */
  readonly reqStats = new Map<string, number>();
  readonly cpu = new CpuSampler();
  private readonly routes = new Map<string, Handler>(ROUTES);
  private readonly queue = new MonitorQueue();
  private http: http.Server | https.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  /** HTTPS: each TCP connection's addresses, taken while it is open (for handshake errors). */
  private readonly peers = new WeakMap<net.Socket, { from: string; pair: string }>();
  /** Sockets whose request was refused by Node's parser and answered by refused(). */
  private readonly refusedSockets = new WeakSet<net.Socket>();
  /** The address actually listened on. */
  address: { host: string; port: number } | null = null;
  /** http_base_path, normalised as nats-server does ("/" when unset). */
  readonly basePath: string;
  /** basePath as the bytes of a decoded request path (latin1 characters). */
  private readonly baseBytes: string;

  constructor(view: MonitorView) {
    this.view = view;
    this.basePath = normalizeBasePath(view.opts.http_base_path);
    this.baseBytes = Buffer.from(this.basePath, "utf8").toString("latin1");
  }

  /** An endpoint's path under http_base_path. */
  pathFor(p: string): string {
    return this.basePath === "/" ? p : p === "/" ? this.basePath : this.basePath + p;
  }

  /**
   * Listen on host:port (port -1: a random one). Rejects when the port cannot be bound.
   * With `secure`, HTTPS with the tls block's certificate (no client certificates, as
   * nats-server's monitoring), taken from the server at each handshake so reloads apply.
   */
  async start(host: string, port: number, secure?: TLSContext): Promise<{ host: string; port: number }> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) =>
      afterBody(req, res, () => this.handle(req, res));
    // timeouts are checked every second (Node's default: 30 s), so they fire near their value
    const common = { maxHeaderSize: MAX_HEADER_BYTES, connectionsCheckingInterval: 1000 };
    const srv =
      secure === undefined
        ? http.createServer(common, handler)
        : https.createServer({ ...common, ...secure.secureOptions }, handler);
    if (secure !== undefined) {
      // each connection, with or without SNI, gets the certificate of the last reload: the
      // server's default context is replaced before the connection's TLS socket is made
      let used = secure;
      srv.prependListener("connection", () => {
        const now = this.view.tlsContext() ?? secure;
        if (now === used) return;
        used = now;
        (srv as https.Server).setSecureContext(now.secureOptions);
      });
    }
    // https.Server passes a failed handshake on as a clientError: answered here first
    if (secure !== undefined) srv.prependListener("tlsClientError", (e, socket) => this.handshakeFailed(e, socket));
    srv.on("clientError", (e: Error & { code?: string }, socket: net.Socket) => this.refused(e, socket));
    srv.on("connect", (req: http.IncomingMessage, socket: net.Socket) => {
      const ex = detachedExchange(socket, { method: "CONNECT", url: req.url ?? "", headers: {} });
      this.handle(ex.req, ex.res);
    });
    srv.on("connection", (s: net.Socket) => {
      this.sockets.add(s);
      if (secure !== undefined) this.peers.set(s, { from: goAddr(s.remoteAddress, s.remotePort), pair: tcpPair(s) });
      s.once("close", () => this.sockets.delete(s));
    });
    // a request's head must arrive within 5 s, the whole request (with any body) within 10 s
    srv.headersTimeout = 5000;
    srv.requestTimeout = 10000;
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) => {
        srv.close();
        reject(e);
      };
      srv.once("error", onErr);
      srv.listen({ host, port: port < 0 ? 0 : port, exclusive: true }, () => {
        srv.off("error", onErr);
        srv.on("error", (e) => this.view.log.errorf(`Monitoring: ${e.message}`));
        resolve();
      });
    });
    this.http = srv;
    const a = srv.address() as net.AddressInfo;
    this.address = { host, port: a.port };
    return this.address;
  }

  /** Stop listening and drop open (keep-alive) connections; resolves when closed. */
  close(): Promise<void> {
    const srv = this.http;
    this.http = null;
    if (srv === null) return Promise.resolve();
    this.queue.clear();
    return new Promise<void>((resolve) => {
      srv.close(() => resolve());
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    try {
      this.serve(req, res);
    } catch (e) {
      // nothing a request carries may take the server (or an embedding process) down
      this.view.log.errorf(`Error serving monitoring request: ${(e as Error).message}`);
      if (!res.headersSent) {
        res.removeHeader("Location");
        sendText(res, 400, "400 Bad Request");
      } else res.destroy();
    }
  }

  /**
   * A request Node's parser refused: answered as Go's server would (an unknown method or a
   * raw non-ASCII path byte is served, then the connection closes; a head over the limit is
   * a 431; anything else a 400, both from Go's own error texts).
   */
  private refused(e: Error & { code?: string }, socket: net.Socket): void {
    if (this.refusedSockets.has(socket) || socket.destroyed) return;
    this.refusedSockets.add(socket);
    const busy = (socket as net.Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (busy !== undefined && busy !== null && (busy.headersSent || e.code !== "ERR_HTTP_REQUEST_TIMEOUT")) {
      // an answer to an earlier request is still to be written: end after it
      busy.once("finish", () => socket.destroySoon());
      return;
    }
    if (e.code === "HPE_INVALID_METHOD" || e.code === "HPE_INVALID_URL") {
      const r = parseRefused(e);
      if (r !== null) {
        const ex = detachedExchange(socket, r);
        this.handle(ex.req, ex.res);
        return;
      }
    }
    if (e.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    let text: string;
    if (e.code === "HPE_HEADER_OVERFLOW") text = goErrorBytes(431, "Request Header Fields Too Large");
    else if (e.code === "ERR_HTTP_REQUEST_TIMEOUT") text = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n";
    else text = goErrorBytes(400, "Bad Request");
    // (a request timeout with an answer not begun: the body it waits for never came)
    socket.end(text, "latin1");
    socket.destroySoon();
  }

  /**
   * A TLS handshake on the HTTPS port failed. As Go's http.Server: a plaintext HTTP request
   * is told so in plaintext; anything else is logged (nats-server's "monitoring: " prefix).
   */
  private handshakeFailed(e: Error & { code?: string }, socket: net.Socket): void {
    this.refusedSockets.add(socket);
    // the TCP socket under the failed TLS one
    const raw = (socket as net.Socket & { _parent?: net.Socket | null })._parent ?? undefined;
    if (e.code === "ERR_SSL_HTTP_REQUEST" && raw?.writable === true) {
      raw.end("HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n", "latin1");
      return;
    }
    const peer = raw === undefined ? undefined : this.peers.get(raw);
    const text = handshakeErrorText(e, peer?.pair);
    this.view.log.errorf(`monitoring: TLS handshake error from ${peer?.from ?? ""}: ${text}`);
    socket.destroy();
  }

  count(path: string): void {
    this.reqStats.set(path, (this.reqStats.get(path) ?? 0) + 1);
  }

  /** The endpoint a request path names under http_base_path ("/" for the index), or null. */
  private endpointOf(p: string): string | null {
    const base = this.baseBytes;
    if (base === "/") return p;
    if (p === base) return "/";
    if (!p.startsWith(base + "/")) return null;
    const rest = p.slice(base.length);
    return rest === "/" ? null : rest;
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    let raw = req.url ?? "/";
    if (raw === "*" && req.method === "OPTIONS") {
      // Go's server answers "OPTIONS *" itself
      res.setHeader("Content-Length", 0);
      res.end();
      return;
    }
    // Go routes a CONNECT by its path as it came: an authority ("host:port") or an unclean
    // path matches nothing, and nothing is redirected
    const connect = req.method === "CONNECT";
    if (!raw.startsWith("/")) {
      if (connect) raw = "";
      else {
        // absolute form (through a proxy): keep its path and query
        try {
          const u = new URL(raw);
          raw = u.pathname + u.search;
        } catch {
          badRequest(res);
          return;
        }
      }
    }
    const qi = raw.indexOf("?");
    // the path's bytes, escapes decoded (latin1 characters), as Go's url.URL.Path
    const decoded = unescapePath(qi < 0 ? raw : raw.slice(0, qi));
    if (decoded === null) {
      badRequest(res);
      return;
    }
    const rawQuery = qi < 0 ? "" : raw.slice(qi + 1);
    // like Go's ServeMux: a path that is not in canonical form is redirected to the clean one
    const clean = connect ? decoded : cleanPath(decoded);
    if (clean !== decoded) {
      // the path escaped as Go's url.URL.String() writes it, so no byte of the request
      // (CR, LF, non-ASCII) reaches the header as it came
      const esc = escapePath(clean);
      const loc = rawQuery === "" ? esc : `${esc}?${rawQuery}`;
      res.setHeader("Location", loc);
      send(res, 301, "text/html; charset=utf-8", `<a href="${htmlEscape(loc)}">Moved Permanently</a>.\n\n`);
      return;
    }
    const q = new URLSearchParams(rawQuery);
    const path = this.endpointOf(decoded);
    try {
      if (path === "/") {
        this.count("/");
        send(res, 200, "text/html; charset=utf-8", indexPage(this));
        return;
      }
      if (path === "/dashboard") {
        this.count("/dashboard");
        send(res, 200, "text/html; charset=utf-8", DASHBOARD_HTML);
        return;
      }
      const h = path === null ? undefined : this.routes.get(path);
      if (h === undefined) {
        // Go's http.NotFound
        res.setHeader("X-Content-Type-Options", "nosniff");
        sendText(res, 404, "404 page not found\n");
        return;
      }
      const ep = path as string;
      this.count(ep === "/subscriptionsz" ? "/subsz" : ep);
      if (QUEUED.has(ep)) {
        // built and written in slices between socket I/O, shared by identical requests
        this.queue.enqueue(
          `${ep}?${rawQuery}`,
          { begin: () => this.render(h(this, q), q), fail: (e) => this.failure(e, ep) },
          res,
        );
        return;
      }
      let r: Rendering;
      try {
        r = this.render(h(this, q), q);
      } catch (e) {
        r = this.failure(e, ep);
      }
      sendRendering(res, r);
    } catch (e) {
      sendRendering(res, this.failure(e, path));
    }
  }

  /** An endpoint's answer as status, headers and body text (in pieces). */
  private render(r: Reply, q: URLSearchParams): Rendering {
    const status = r.status ?? 200;
    if (r.kind === "raw") return { status, headers: [["Content-Type", r.contentType]], parts: [r.body].values() };
    const parts = goJSONParts(r.value, r.compact !== true);
    const callback = q.get("callback") ?? "";
    if (callback !== "")
      return { status, headers: [["Content-Type", "application/javascript"]], parts: jsonp(callback, parts) };
    return {
      status,
      headers: [
        ["Access-Control-Allow-Origin", "*"],
        ["Content-Type", "application/json"],
      ],
      parts,
    };
  }

  /** The answer to a request whose endpoint threw. */
  private failure(e: unknown, path: string | null): Rendering {
    if (e instanceof BadRequest) return textRendering(400, e.message);
    // a bug in one endpoint must not take the server down
    this.view.log.errorf(`Error serving monitoring request ${path}: ${(e as Error).stack ?? String(e)}`);
    return textRendering(500, "internal error");
  }
}

function* jsonp(callback: string, parts: Iterator<string, void, undefined>): Generator<string, void, undefined> {
  yield `${callback}(`;
  for (let p = parts.next(); p.done !== true; p = parts.next()) yield p.value;
  yield ")";
}

function textRendering(status: number, body: string): Rendering {
  return { status, headers: [["Content-Type", "text/plain; charset=utf-8"]], parts: [body].values() };
}

/** A rendering answered at once, in one piece. */
function sendRendering(res: http.ServerResponse, r: Rendering): void {
  let body = "";
  for (let p = r.parts.next(); p.done !== true; p = r.parts.next()) body += p.value;
  res.statusCode = r.status;
  for (const [k, v] of r.headers) res.setHeader(k, v);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}

/** Go's path.Clean for an absolute path. */
function cleanAbs(p: string): string {
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}

/** nats-server's normalizeBasePath: a leading slash, then path.Clean. */
export function normalizeBasePath(p: string): string {
  if (p === "") return "/";
  return cleanAbs(p.startsWith("/") ? p : "/" + p);
}

/** Go's ServeMux cleanPath: path.Clean, keeping a trailing slash. */
function cleanPath(p: string): string {
  if (p === "") return "/";
  const abs = p.startsWith("/") ? p : "/" + p;
  let np = cleanAbs(abs);
  if (abs.endsWith("/") && np !== "/") np += "/";
  return np;
}

function htmlEscape(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&#34;")
    .replace(/'/g, "&#39;");
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", type);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}

/** Go's answer to a request URI it cannot parse: a 400 that closes the connection. */
function badRequest(res: http.ServerResponse): void {
  res.shouldKeepAlive = false;
  sendText(res, 400, "400 Bad Request");
}

/** Error bodies: nats-server writes them without a Content-Type, which Go sniffs as plain text. */
function sendText(res: http.ServerResponse, status: number, body: string): void {
  send(res, status, "text/plain; charset=utf-8", body);
}
