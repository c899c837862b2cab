// Authenticators: functions of the server's nonce that return the CONNECT auth fields,
// as nats.js has them (usernamePassword, token, nkey, jwt, creds), plus one that reads a
// creds file on every connect (nats.c's natsOptions_SetUserCredentialsFromFiles).
import { readFileSync } from "node:fs";
import { encode as encodeNkey, fromSeed } from "@nats-io/nkeys";

export type NoAuth = void;
export interface TokenAuth {
  auth_token: string;
}
export interface UserPass {
  user: string;
  pass?: string;
}
export interface NKeyAuth {
  nkey: string;
  sig: string;
}
export interface JwtAuth {
  jwt: string;
  nkey?: string;
  sig?: string;
}
export type Auth = NoAuth | TokenAuth | UserPass | NKeyAuth | JwtAuth;
export type Authenticator = (nonce?: string) => Auth;

type Src<T> = T | (() => T);
function val<T>(v: Src<T>): T {
  return typeof v === "function" ? (v as () => T)() : v;
}

export function usernamePasswordAuthenticator(user: Src<string>, pass?: Src<string>): Authenticator {
  return () => ({ user: val(user), pass: pass === undefined ? undefined : val(pass) });
}

export function tokenAuthenticator(token: Src<string>): Authenticator {
  return () => ({ auth_token: val(token) });
}

/** Signs the server's nonce with the seed (bytes or text such as "SUA..."). */
export function nkeyAuthenticator(seed?: Src<Uint8Array | string>): Authenticator {
  return (nonce?: string) => {
    const s = seed === undefined ? undefined : val(seed);
    if (s === undefined || s.length === 0) return { nkey: "", sig: "" };
    const kp = fromSeed(typeof s === "string" ? Buffer.from(s.trim(), "utf8") : s);
    const nkey = kp.getPublicKey();
    const sig = nonce ? encodeNkey(kp.sign(Buffer.from(nonce, "utf8"))) : "";
    return { nkey, sig };
  };
}

export function jwtAuthenticator(jwt: Src<string>, seed?: Src<Uint8Array | string>): Authenticator {
  const nk = nkeyAuthenticator(seed);
  return (nonce?: string) => {
    const { nkey, sig } = nk(nonce) as NKeyAuth;
    return { jwt: val(jwt), nkey, sig };
  };
}

const CREDS_BLOCK = /\s*(?:(?:-{3,}[^\n]*-{3,}\n)(.+)(?:\n\s*-{3,}[^\n]*-{3,}\n))/gi;

/** The JWT and seed of a creds file's text. */
export function parseCreds(text: string): { jwt: string; seed: string } {
  const re = new RegExp(CREDS_BLOCK.source, "gi");
  const a = re.exec(text);
  const b = a === null ? null : re.exec(text);
  if (a === null || b === null) throw new Error("unable to parse credentials");
  return { jwt: a[1].trim(), seed: b[1].trim() };
}

/** nats.js's credsAuthenticator: the creds file's contents (bytes), or a function giving them. */
export function credsAuthenticator(creds: Src<Uint8Array>): Authenticator {
  return (nonce?: string) => {
    const { jwt, seed } = parseCreds(Buffer.from(val(creds)).toString("utf8"));
    return jwtAuthenticator(jwt, seed)(nonce);
  };
}

/** Reads the creds file at each (re)connect, so a rotated file is picked up. */
export function credsFileAuthenticator(path: string): Authenticator {
  return credsAuthenticator(() => readFileSync(path));
}

export function multiAuthenticator(list: Authenticator[]): Authenticator {
  return (nonce?: string) => {
    let auth = {};
    for (const a of list) auth = Object.assign(auth, a(nonce) ?? {});
    return auth as Auth;
  };
}
