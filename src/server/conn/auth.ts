// A client connection's authentication: the auth timer, CONNECT's credentials checked by the
// server's Authenticator (pausing the input while an asynchronous check runs), no_auth_user,
// the violation texts, and the re-checks of a config reload. The connection decodes CONNECT
// (client.ts processConnect) and completes it (finishConnect); what lies between is here.
import { goQuote } from "../../protocol/quote.js";
import { timerMs } from "../duration.js";
import { DEFAULT_AUTH_TIMEOUT } from "../options.js";
import type { AuthRequest, AuthResult } from "../auth/authenticator.js";
import type { Subscription } from "./conn.js";
import type { ClientConnection } from "./client.js";

export class ClientAuth {
  /** Auth is required and CONNECT has not been accepted yet. */
  expectConnect: boolean;
  /** An asynchronous check is running: the input is paused until it answers. */
  pending = false;
  /** CONNECT's nkey, for the log line of a refused nkey login. */
  connectNkey = "";
  /**
   * The credentials this connection was accepted with (nats-server keeps its CONNECT
   * options), re-checked on a config reload; null until then.
   */
  private req: AuthRequest | null = null;
  /** The configured credential those credentials matched (AuthResult.secret). */
  private secret: string | undefined = undefined;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly c: ClientConnection) {
    this.expectConnect = c.server.auth.authRequired;
  }

  // ---------------------------------------------------------------- auth timer

  /** Close the connection when no CONNECT has passed within the auth timeout. */
  startTimer(): void {
    const t = this.c.server.opts.authorization.timeout ?? DEFAULT_AUTH_TIMEOUT;
    // nats-server's timer for a negative timeout fires at once, before a CONNECT can be read
    if (t < 0) {
      process.nextTick(() => this.timeout());
      return;
    }
    this.timer = setTimeout(() => this.timeout(), timerMs(t));
  }

  stopTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private timeout(): void {
    this.timer = null;
    const c = this.c;
    if (c.closed) return;
    c.sendErr("Authentication Timeout");
    c.debugf("Authentication Timeout");
    c.close("Authentication Timeout");
  }

  // ---------------------------------------------------------------- CONNECT

  /**
   * Before CONNECT, when auth is required, the first operation must be CONNECT; with
   * no_auth_user configured the client is taken to be that user instead.
   */
  checkBeforeOp(): boolean {
    if (!this.expectConnect || this.c.connectReceived) return true;
    if (this.tryNoAuthUser()) return true;
    this.violation();
    return false;
  }

  /** no_auth_user: take the client to be that user. False when none is configured. */
  tryNoAuthUser(): boolean {
    const res = this.c.server.noAuthResult();
    if (res === null) return false;
    const c = this.c;
    this.apply(res);
    // recorded as nats-server records it: as if that user and password had been sent
    this.remember({ user: res.user, pass: res.password ?? "", remoteAddress: c.host }, res);
    c.connectReceived = true;
    this.stopTimer();
    return true;
  }

  /**
   * Check CONNECT's credentials with the server's authenticator, then finish the CONNECT.
   * An asynchronous check (bcrypt, a custom authenticator) pauses the input until it answers.
   */
  checkConnect(req: AuthRequest): boolean {
    const srv = this.c.server;
    // a reload that swaps the authenticator while an asynchronous check runs skips this
    // connection (it has no credentials on record yet): the answer is then taken again
    const gen = srv.reloadGen;
    const res = srv.auth.authenticate(req);
    if (res instanceof Promise) {
      this.pending = true;
      res.then(
        (r) => this.afterAuth(r, req, gen),
        () => this.afterAuth(null, req, gen),
      );
      return false;
    }
    return this.c.finishConnect(res, req);
  }

  private afterAuth(res: AuthResult | null, req: AuthRequest, gen: number): void {
    this.pending = false;
    const c = this.c;
    if (c.closed) return;
    // answered by the authorization of before a reload: ask the current one
    const ok = gen !== c.server.reloadGen ? this.checkConnect(req) : c.finishConnect(res, req);
    if (ok && !c.closed) c.resumeInput();
    else c.server.flushSoon(c);
  }

  /** CONNECT's credentials passed: take the identity, permissions and account they give. */
  accept(res: AuthResult, req: AuthRequest): void {
    this.apply(res);
    const noCreds = (req.user ?? "") === "" && (req.pass ?? "") === "" && (req.auth_token ?? "") === "";
    this.remember(noCreds && res.user !== "" ? { ...req, user: res.user, pass: res.password ?? "" } : req, res);
    this.expectConnect = false;
  }

  private apply(res: AuthResult): void {
    this.c.setIdentity(res.user, res.permissions);
    this.c.server.bindAccount(this.c, res.account);
  }

  private remember(req: AuthRequest, res: AuthResult): void {
    this.req = req;
    this.secret = res.secret;
  }

  /** The refusal: nats-server's log line for the kind of credentials configured, then the -ERR. */
  violation(user?: string): void {
    const c = this.c;
    const required = c.server.auth.authRequired;
    if (required && c.server.hasNkeys()) {
      c.errorf(`authentication error - Nkey ${goQuote(this.req?.nkey ?? this.connectNkey)}`);
    } else if (required && c.server.hasUsers()) {
      c.errorf(`authentication error - User ${goQuote(user ?? "")}`);
    } else {
      c.errorf("authentication error");
    }
    c.sendErr("Authorization Violation");
    c.close("Authentication Failure");
  }

  /** The connection closed: no timer, and no credentials kept alive in the closed ring. */
  close(): void {
    this.stopTimer();
    this.req = null;
  }

  // ---------------------------------------------------------------- config reload

  /** The credentials to re-check on a config reload; null before CONNECT was accepted. */
  reloadRequest(): AuthRequest | null {
    return this.req === null ? null : { ...this.req, verified: this.secret };
  }

  /**
   * A connection still waiting for its CONNECT: it will be checked by the new authenticator.
   * When authorization has just been switched on, it now has the (new) auth timeout to send
   * one, as a connection accepted from now on has.
   */
  reloadPending(authRequired: boolean): void {
    if (!authRequired || this.c.connectReceived || this.c.closed) return;
    this.expectConnect = true;
    if (this.timer === null) this.startTimer();
  }

  /** The credentials no longer pass: nats-server sends the usual violation. */
  reloadViolation(): void {
    this.violation(this.req?.user);
  }

  /**
   * Take the permissions of the re-check, then drop the subscriptions they no longer allow,
   * telling the client and the log, as nats-server's processSubsOnConfigReload does.
   */
  reloadPermissions(res: AuthResult): void {
    const c = this.c;
    if (c.closed) return;
    this.secret = res.secret;
    const perms = res.permissions;
    c.setPermissions(perms);
    if (perms === null) return;
    const removed: Subscription[] = [];
    for (const sub of c.subs.values()) {
      const canSub = perms.canSubscribe(sub.subject, null);
      const canQSub = sub.queue !== null && perms.canSubscribe(sub.subject, sub.queue);
      if (!canSub && !canQSub) removed.push(sub);
    }
    for (const sub of removed) {
      c.unsubscribe(sub);
      c.sendErr(`Permissions Violation for Subscription to ${goQuote(sub.subject)} (sid ${goQuote(sub.sid)})`);
      c.server.logger.noticef(
        `Removed sub ${goQuote(sub.subject)} (sid ${goQuote(sub.sid)}) for ${this.userLabel()} - not authorized`,
      );
    }
  }

  /** nats-server's getAuthUser: how reload messages name the connection's credentials. */
  private userLabel(): string {
    const r = this.req;
    if (r !== null) {
      if ((r.nkey ?? "") !== "") return `Nkey ${goQuote(r.nkey as string)}`;
      if ((r.user ?? "") !== "") return `User ${goQuote(r.user as string)}`;
      if ((r.auth_token ?? "") !== "") return `Token "[REDACTED]"`;
    }
    return `User "N/A"`;
  }
}
