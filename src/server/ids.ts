// Server identities in NKey form: the ed25519 (server id) and x25519 (xkey) public keys that
// nats-server advertises, made with Node's native crypto and encoded as NKeys are
// (prefix byte, key, CRC-16/XMODEM little-endian, RFC 4648 base32 without padding). This
// keeps start-up fast; the private keys stay in the server object for later use.
import { generateKeyPairSync, type KeyObject } from "node:crypto";

const PREFIX_SERVER = 13 << 3; // 'N'
const PREFIX_CURVE = 23 << 3; // 'X'
const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function base32(data: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of data) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** Encode a 32-byte public key as an NKey public key string. */
export function encodePublicKey(prefix: number, key: Uint8Array): string {
  const raw = new Uint8Array(key.length + 3);
  raw[0] = prefix;
  raw.set(key, 1);
  const crc = crc16(raw.subarray(0, key.length + 1));
  raw[key.length + 1] = crc & 0xff;
  raw[key.length + 2] = crc >> 8;
  return base32(raw);
}

function rawPublic(k: KeyObject): Uint8Array {
  const jwk = k.export({ format: "jwk" });
  return Buffer.from(jwk.x as string, "base64url");
}

export interface ServerIdentity {
  /** Server id: an NKey server public key ("N..."). */
  id: string;
  /** Curve public key ("X..."), INFO's xkey. */
  xkey: string;
  signingKey: KeyObject;
  curveKey: KeyObject;
}

export function newServerIdentity(): ServerIdentity {
  const ed = generateKeyPairSync("ed25519");
  const x = generateKeyPairSync("x25519");
  return {
    id: encodePublicKey(PREFIX_SERVER, rawPublic(ed.publicKey)),
    xkey: encodePublicKey(PREFIX_CURVE, rawPublic(x.publicKey)),
    signingKey: ed.privateKey,
    curveKey: x.privateKey,
  };
}
