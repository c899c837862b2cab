// The checks nats-server makes on the accounts block once every account is known (its
// parseAccounts, after the per-account fields): the accounts named by exports and imports
// exist, every import is allowed by an export of the other account, a stream prefix is a
// literal, an import is not given twice and no chain of imports comes back to where it
// started. nats-server makes them while loading the file, so `-t` reports them; the texts
// are its own (without the position, which the loader puts in front).
import type { MappingDest, ServerOptions } from "../options.js";
import { validateMapping } from "../mapping.js";
import { Account } from "../account.js";
import { checkAccountImports } from "../imports.js";

/** The hook of the mapping engine: null when the mapping is valid, else its error text. */
export type MappingValidator = (source: string, dests: MappingDest[]) => string | null;

/** The mapping engine's check (src/server/mapping.ts), the loader's one call into it. */
export const validateMappingHook: MappingValidator = validateMapping;

/**
 * nats-server's checks of the accounts block once all accounts are parsed, in its order:
 * stream exports, service exports, stream imports, service imports. Every problem, one line
 * each (a failed import is left out of the later checks, as nats-server leaves it out). The
 * checks are the ones the server builds its imports with (imports.ts), run on scratch accounts.
 */
export function accountGraphErrors(opts: Pick<ServerOptions, "accounts">): string[] {
  return checkAccountImports(opts.accounts, (name) => new Account(name));
}

/**
 * The accounts block's cross-account problems as nats-server reports them (one per line), or
 * null when there are none. nats-server finds these while loading the file (so `-t` fails);
 * the loader already calls this, the server may call it again on options built in code.
 */
export function checkAccountGraph(opts: Pick<ServerOptions, "accounts">): string | null {
  const errs = accountGraphErrors(opts);
  return errs.length === 0 ? null : errs.join("\n");
}

/**
 * nats-server's check of system_account when the server starts (its configureAccounts, not
 * `-t`): a name that is not an account of the accounts block is refused, "$SYS" included;
 * no_system_account does not lift it. "$G" always exists.
 */
export function systemAccountError(opts: Pick<ServerOptions, "accounts" | "system_account">): string | null {
  const sa = opts.system_account;
  if (sa === "" || sa === "$G" || opts.accounts.some((a) => a.name === sa)) return null;
  return "error resolving system account: account missing";
}
