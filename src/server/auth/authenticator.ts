// Authentication behind one interface. The server asks its Authenticator whether a
// CONNECT may proceed; TLS client certs, NKeys and JWT accounts plug in as further
// implementations (or chained ones) without touching the connection code.
import { timingSafeEqual } from "node:crypto";
import { CompiledPermissions } from "./permissions.js";
import type { AuthorizationOptions, Permissions, UserConfig } from "../options.js";

/** What the client presented, from its CONNECT. */
export interface AuthRequest {
  user?: string;
  pass?: string;
  auth_token?: string;
  nkey?: string;
  sig?: string;
  jwt?: string;
  /** The nonce sent in INFO, when one was. */
  nonce?: string;
  remoteAddress: string;
  /**
   * Config reload: AuthResult.secret of the earlier check of these same credentials. When
   * the check would compare them with the very same configured credential (same kind, same
   * user, same secret), the answer cannot have changed, so a bcrypt comparison is not
   * repeated.
   */
  verified?: string;
}

/** A successful authentication. */
export interface AuthResult {
  /** Name used in logs and monitoring ("" for anonymous or token). */
  user: string;
  permissions: CompiledPermissions | null;
  account: string;
  /**
   * Which configured credential the credentials matched, if any (see AuthRequest.verified):
   * an opaque key naming its kind, its user and its secret.
   */
  secret?: string;
  /**
   * no_auth_user: the configured password of that user. The connection is recorded as if it
   * had sent that user and password, as nats-server records it.
   */
  password?: string;
}

export interface Authenticator {
  /** Sent in INFO as auth_required. */
  readonly authRequired: boolean;
  /** A user to assume when a client sends no credentials, if any. */
  readonly noAuthUser: string;
  /** Resolves to the result, or null when the credentials are refused. */
  authenticate(req: AuthRequest): AuthResult | null | Promise<AuthResult | null>;
  /**
   * Config reload: the account of a configured user of this name, or undefined when no
   * users list names it (nats-server then closes a connection that logged in with that
   * name). Authenticators without configured users leave this out.
   */
  userAccount?(name: string): string | undefined;
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, "utf8");
  const bb = Buffer.from(b, "utf8");
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

export function isBcrypt(s: string): boolean {
  return /^\$2[abxy]?\$\d\d\$/.test(s);
}

// bcryptjs is loaded on first use, so servers without bcrypt passwords start faster
let bcryptLib: Promise<typeof import("bcryptjs")> | null = null;

function comparePassword(given: string, stored: string): boolean | Promise<boolean> {
  if (isBcrypt(stored)) {
    bcryptLib ??= import("bcryptjs");
    return bcryptLib.then((b) => b.default.compare(given, stored));
  }
  return safeEqual(given, stored);
}

/** The kinds of configured credential: a users-list entry, the single user, the token. */
type CredentialKind = "u" | "s" | "t";

/**
 * The key of one configured credential (AuthResult.secret): kind, user and stored secret.
 * A password that happens to equal a later token (or another user's password) gives
 * another key, so a reload never takes one for the other.
 */
function credentialKey(kind: CredentialKind, user: string, stored: string): string {
  return `${kind}:${user}\0${stored}`;
}

/** The result when the password check passes, or null; async for bcrypt. */
function checked(
  req: AuthRequest,
  given: string,
  kind: CredentialKind,
  user: string,
  stored: string,
  res: AuthResult,
): AuthResult | null | Promise<AuthResult | null> {
  const key = credentialKey(kind, user, stored);
  res.secret = key;
  if (req.verified !== undefined && req.verified === key) return res;
  const ok = comparePassword(given, stored);
  return typeof ok === "boolean" ? (ok ? res : null) : ok.then((v) => (v ? res : null));
}

function compile(p: Permissions | undefined): CompiledPermissions | null {
  return p === undefined ? null : new CompiledPermissions(p);
}

const ANON: AuthResult = { user: "", permissions: null, account: "$G" };

/**
 * nats-server's built-in authorization block: a token, a single user/password, or a list
 * of users with plain or bcrypt passwords and permissions; plus no_auth_user.
 */
export class ConfigAuthenticator implements Authenticator {
  readonly authRequired: boolean;
  readonly noAuthUser: string;
  private readonly token: string;
  private readonly single: { user: string; password: string; perms: CompiledPermissions | null } | null;
  private readonly users = new Map<string, { cfg: UserConfig; perms: CompiledPermissions | null }>();

  constructor(auth: AuthorizationOptions, noAuthUser = "") {
    this.token = auth.token ?? "";
    this.single =
      auth.user !== undefined && auth.user !== ""
        ? { user: auth.user, password: auth.password ?? "", perms: compile(auth.permissions) }
        : null;
    for (const u of auth.users ?? []) {
      this.users.set(u.user, { cfg: u, perms: compile(u.permissions ?? auth.permissions) });
    }
    this.authRequired = this.token !== "" || this.single !== null || this.users.size > 0;
    this.noAuthUser = noAuthUser;
  }

  /** Does a user of this name exist (for no_auth_user)? */
  hasUser(name: string): boolean {
    return this.users.has(name);
  }

  /** The result for no_auth_user, or null when it does not name a configured user. */
  noAuthResult(): AuthResult | null {
    if (this.noAuthUser === "") return null;
    const u = this.users.get(this.noAuthUser);
    return u === undefined
      ? null
      : {
          user: u.cfg.user,
          permissions: u.perms,
          account: u.cfg.account ?? "$G",
          secret: credentialKey("u", u.cfg.user, u.cfg.password),
          password: u.cfg.password,
        };
  }

  /** True when a users list is configured (not the single user/password or token form). */
  hasUserList(): boolean {
    return this.users.size > 0;
  }

  userAccount(name: string): string | undefined {
    // like nats-server, only a users list counts: the single user/password form keeps no map
    const u = this.users.get(name);
    return u === undefined ? undefined : (u.cfg.account ?? "$G");
  }

  authenticate(req: AuthRequest): AuthResult | null | Promise<AuthResult | null> {
    if (!this.authRequired) return ANON;
    if (this.users.size > 0) {
      const noCreds = (req.user ?? "") === "" && (req.pass ?? "") === "" && (req.auth_token ?? "") === "";
      if (noCreds && this.noAuthUser !== "") return this.noAuthResult();
      const u = this.users.get(req.user ?? "");
      if (u === undefined) return null;
      const res: AuthResult = { user: u.cfg.user, permissions: u.perms, account: u.cfg.account ?? "$G" };
      return checked(req, req.pass ?? "", "u", u.cfg.user, u.cfg.password, res);
    }
    if (this.token !== "") {
      return checked(req, req.auth_token ?? "", "t", "", this.token, { ...ANON });
    }
    const s = this.single!;
    if ((req.user ?? "") !== s.user) return null;
    return checked(req, req.pass ?? "", "s", s.user, s.password, { user: s.user, permissions: s.perms, account: "$G" });
  }
}
