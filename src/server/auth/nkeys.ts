// NKey users: the official @nats-io/nkeys, loaded (synchronously) only when a config names
// an nkey user, so servers without them do not pay for it at start-up.
import { createRequire } from "node:module";

type NKeys = typeof import("@nats-io/nkeys");
let lib: NKeys | null = null;

function nkeys(): NKeys {
  lib ??= createRequire(import.meta.url)("@nats-io/nkeys") as NKeys;
  return lib;
}

/** A valid public nkey whose prefix (its first letter) is `prefix`. */
function isValidPublicKey(key: string, prefix: string): boolean {
  if (!key.startsWith(prefix)) return false;
  try {
    nkeys().fromPublic(key);
    return true;
  } catch {
    return false;
  }
}

/** nats-server's nkeys.IsValidPublicUserKey. */
export function isValidPublicUserKey(key: string): boolean {
  return isValidPublicKey(key, "U");
}

/**
 * nats-server's check of CONNECT's sig for an nkey user: an ed25519 signature of the INFO
 * nonce, in base64url (raw) or, as a fallback, standard base64. Null when it verifies, else
 * nats-server's debug text for why not.
 */
export function nkeySignatureError(nkey: string, sig: string, nonce: string): string | null {
  if (sig === "") return "Signature missing";
  let raw: Buffer;
  if (/^[A-Za-z0-9_-]+$/.test(sig)) raw = Buffer.from(sig, "base64url");
  else if (/^[A-Za-z0-9+/]+={0,2}$/.test(sig)) raw = Buffer.from(sig, "base64");
  else return "Signature not valid base64";
  let kp: ReturnType<ReturnType<typeof nkeys>["fromPublic"]>;
  try {
    kp = nkeys().fromPublic(nkey);
  } catch (e) {
    return `User nkey not valid: ${(e as Error).message}`;
  }
  try {
    return kp.verify(Buffer.from(nonce, "latin1"), raw) ? null : "Signature not verified";
  } catch {
    return "Signature not verified";
  }
}

/** nats-server's nkeys.IsValidPublicAccountKey. */
export function isValidPublicAccountKey(key: string): boolean {
  return isValidPublicKey(key, "A");
}
