// Authentication behind one interface. The server asks its Authenticator whether a
// CONNECT may proceed; TLS client certs, NKeys and JWT accounts plug in as further
// implementations (or chained ones) without touching the connection code.
import { timingSafeEqual, type X509Certificate } from "node:crypto";
import { certNames, parseDN, sameRDNs } from "../tls.js";
import { goQuote } from "../../protocol/quote.js";
import { nkeySignatureError } from "./nkeys.js";
import { CompiledPermissions } from "./permissions.js";
import type { AuthorizationOptions, Permissions, ServerOptions, UserConfig } from "../options.js";

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
  /** The client's TLS certificate, when it presented one (verify_and_map). */
  peerCert?: X509Certificate;
  /** Where the connection's debug and warning lines go (nats-server's texts for why a login failed). */
  log?: { debugf(msg: string): void; warnf(msg: string): void };
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
  // What the server asks about the configured users. An authenticator without configured
  // users (a custom one, say) leaves these out; the server then assumes what is said below.
  /**
   * Config reload: the account of a configured user of this name, or undefined when no
   * users list names it (nats-server then closes a connection that logged in with that
   * name). Left out: no connection is closed for its user name.
   */
  userAccount?(name: string): string | undefined;
  /** A users list (users or nkey users) is configured. Left out: counts as one. */
  hasUserList?(): boolean;
  /** A user or nkey user of this name exists (no_auth_user). Left out: any name is taken. */
  hasUser?(name: string): boolean;
  /** nkey users are configured: INFO carries a nonce. Left out: none. */
  hasNkeys?(): boolean;
  /**
   * Users (not nkey users) are configured: refusals name the user. Left out: the options'
   * authorization block decides.
   */
  hasUsers?(): boolean;
  /** The identity of a client that sends no credentials (no_auth_user). Left out: none. */
  noAuthResult?(): AuthResult | null;
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

/** The kinds of configured credential: a users-list entry, the single user, the token, an nkey. */
type CredentialKind = "u" | "s" | "t" | "n";

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
  private readonly nkeys = new Map<string, { cfg: UserConfig; perms: CompiledPermissions | null }>();
  /** tls verify_and_map: users are found by the client's certificate. */
  private readonly tlsMap: boolean;

  constructor(auth: AuthorizationOptions, noAuthUser = "", tlsMap = false) {
    this.tlsMap = tlsMap;
    this.token = auth.token ?? "";
    this.single =
      auth.user !== undefined && auth.user !== ""
        ? { user: auth.user, password: auth.password ?? "", perms: compile(auth.permissions) }
        : null;
    for (const u of auth.users ?? []) {
      // the authorization block's default permissions are for its own users: a user of an
      // account has its own, or its account's default_permissions (set by the loader), or none
      const entry = {
        cfg: u,
        perms: compile(u.permissions ?? (u.account === undefined ? auth.permissions : undefined)),
      };
      if (u.nkey !== undefined) this.nkeys.set(u.nkey, entry);
      else this.users.set(u.user, entry);
    }
    this.authRequired = this.token !== "" || this.single !== null || this.users.size > 0 || this.nkeys.size > 0;
    this.noAuthUser = noAuthUser;
  }

  /** Does a user of this name exist (for no_auth_user)? */
  hasUser(name: string): boolean {
    return this.users.has(name) || this.nkeys.has(name);
  }

  /** nkey users are configured: INFO carries a nonce. */
  hasNkeys(): boolean {
    return this.nkeys.size > 0;
  }

  /** users (not nkey users) are configured. */
  hasUsers(): boolean {
    return this.users.size > 0;
  }

  /** The result for no_auth_user, or null when it does not name a configured user. */
  noAuthResult(): AuthResult | null {
    if (this.noAuthUser === "") return null;
    const n = this.nkeys.get(this.noAuthUser);
    if (n !== undefined) {
      return {
        user: n.cfg.user,
        permissions: n.perms,
        account: n.cfg.account ?? "$G",
        secret: credentialKey("n", n.cfg.user, ""),
      };
    }
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
    return this.users.size > 0 || this.nkeys.size > 0;
  }

  userAccount(name: string): string | undefined {
    // like nats-server, only a users list counts: the single user/password form keeps no map
    const u = this.users.get(name) ?? this.nkeys.get(name);
    return u === undefined ? undefined : (u.cfg.account ?? "$G");
  }

  authenticate(req: AuthRequest): AuthResult | null | Promise<AuthResult | null> {
    if (!this.authRequired) return ANON;
    const noCreds = (req.user ?? "") === "" && (req.pass ?? "") === "" && (req.auth_token ?? "") === "";
    if (this.nkeys.size > 0) {
      let nkey = req.nkey ?? "";
      if (nkey === "" && noCreds && this.nkeys.has(this.noAuthUser)) nkey = this.noAuthUser;
      if (nkey !== "") return this.nkeyAuth(req, nkey);
    }
    if (this.users.size > 0 && this.tlsMap) return this.certAuth(req);
    if (this.users.size > 0) {
      if (noCreds && this.noAuthUser !== "") return this.noAuthResult();
      const u = this.users.get(req.user ?? "");
      if (u === undefined) return null;
      const res: AuthResult = { user: u.cfg.user, permissions: u.perms, account: u.cfg.account ?? "$G" };
      return checked(req, req.pass ?? "", "u", u.cfg.user, u.cfg.password, res);
    }
    if (this.token !== "") {
      return checked(req, req.auth_token ?? "", "t", "", this.token, { ...ANON });
    }
    if (this.single === null) return null;
    const s = this.single;
    if ((req.user ?? "") !== s.user) return null;
    return checked(req, req.pass ?? "", "s", s.user, s.password, { user: s.user, permissions: s.perms, account: "$G" });
  }

  /** An nkey user: the signature of the INFO nonce must verify (not for no_auth_user). */
  private nkeyAuth(req: AuthRequest, nkey: string): AuthResult | null {
    const u = this.nkeys.get(nkey);
    if (u === undefined) return null;
    const res: AuthResult = {
      user: u.cfg.user,
      permissions: u.perms,
      account: u.cfg.account ?? "$G",
      secret: credentialKey("n", nkey, ""),
    };
    // a reload re-checks a connection whose signature was verified: the nonce is not signed twice
    if (nkey === this.noAuthUser || req.verified === res.secret) return res;
    const why = nkeySignatureError(nkey, req.sig ?? "", req.nonce ?? "");
    if (why !== null) req.log?.debugf(why);
    return why === null ? res : null;
  }

  /**
   * verify_and_map: the user named by the client's certificate, looked up as nats-server's
   * checkClientTLSCertSubject does: emails, DNS names, URIs, then the subject (its string, or
   * the same RDNs in any order). A password configured for that user must still match.
   */
  private certAuth(req: AuthRequest): AuthResult | null | Promise<AuthResult | null> {
    const cert = req.peerCert;
    const log = req.log;
    if (cert === undefined) {
      log?.debugf("User required in cert, no peer certificates found");
      return null;
    }
    const names = certNames(cert);
    let found: { cfg: UserConfig; perms: CompiledPermissions | null } | undefined;
    const lookup = (list: string[], how: string): boolean => {
      for (const n of list) {
        found = this.users.get(n);
        if (found !== undefined) {
          log?.debugf(`${how} for auth [${goQuote(n)}]`);
          return true;
        }
      }
      return false;
    };
    const inCert = (what: string) => `Using ${what} found in cert`;
    if (
      !lookup(names.emails, inCert("email")) &&
      !lookup(names.dns, inCert("SAN")) &&
      !lookup(names.uris, inCert("URI"))
    ) {
      for (const u of this.users.values()) {
        const dn = parseDN(u.cfg.user);
        if (dn !== null && sameRDNs(dn, names.rdns)) {
          found = u;
          log?.debugf(`Using DistinguishedNameMatch for auth [${goQuote(u.cfg.user)}]`);
          break;
        }
      }
      if (found === undefined) lookup([names.subject], "Using certificate subject");
    }
    if (found === undefined) {
      log?.debugf(`User in cert [${goQuote(names.subject)}], not found`);
      return null;
    }
    if ((req.user ?? "") !== "")
      log?.warnf(`User ${goQuote(req.user ?? "")} found in connect proto, but user required from cert`);
    const res: AuthResult = { user: found.cfg.user, permissions: found.perms, account: found.cfg.account ?? "$G" };
    return checked(req, req.pass ?? "", "u", found.cfg.user, found.cfg.password, res);
  }
}

/** The authenticator of the options' authorization block (with the tls block's verify_and_map). */
export function newConfigAuthenticator(o: ServerOptions): ConfigAuthenticator {
  return new ConfigAuthenticator(o.authorization, o.no_auth_user, o.tls?.verify_and_map === true);
}
