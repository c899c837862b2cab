// The seam of JWT operator mode: where account JWTs come from. An AccountResolver answers the
// account JWT for a public key; the operator-mode authenticator (jwt.ts) asks it when a user
// of an unknown account connects and registers the account from the claims. Implementations:
// MEMORY (resolver_preload), and the full directory resolver updated by `$SYS` pushes
// (resolver-dir.ts). nats-server's names: server/accounts.go AccountResolver.
export interface AccountResolver {
  /** nats-server's resolver kinds: "MEMORY", "full" (directory), "cache", "URL". */
  readonly kind: string;
  /** The account JWT for this public key, or undefined when unknown. */
  fetch(pubkey: string): Promise<string | undefined>;
  /** Store a pushed (or preloaded) account JWT; resolvers that cannot store say so. */
  store?(pubkey: string, jwt: string): Promise<void>;
  /** Read-only resolvers (MEMORY) refuse `$SYS.REQ.CLAIMS.UPDATE`. */
  readonly readOnly: boolean;
  /** Told when a stored JWT changes (a push, a file changed), so live accounts are updated. */
  onUpdate: ((pubkey: string, jwt: string) => void) | null;
  /** Start timers / watchers; stop them. */
  start(): Promise<void>;
  stop(): Promise<void>;
}
