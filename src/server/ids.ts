// Server identities in NKey form: the ed25519 (server id) and x25519 (xkey) public keys that
// nats-server advertises, made with Node's native crypto and encoded as NKeys are
// (prefix byte, key, CRC-16/XMODEM little-endian, RFC 4648 base32 without padding). This
// keeps start-up fast; the private keys stay in the server object for later use.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";

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

const DER: {
  publicKeyEncoding: { type: "spki"; format: "der" };
  privateKeyEncoding: { type: "pkcs8"; format: "der" };
} = {
  publicKeyEncoding: { type: "spki", format: "der" },
  privateKeyEncoding: { type: "pkcs8", format: "der" },
};

/**
 * A key pair made DER-encoded by the key generation itself: the raw 32-byte public key is the
 * last 32 bytes of its SPKI form. Exporting a generated KeyObject afterwards instead (as JWK) can
 * deadlock Node 20: a garbage collection during the export may free the pair's key-generation
 * job, whose destructor takes the key's mutex that the export already holds (a rare hang at start).
 */
function keyPair(type: "ed25519" | "x25519"): { raw: Uint8Array; privateKey: KeyObject } {
  // @types/node resolves these calls to its KeyObject overload; with both encodings given Node
  // returns Buffers
  const pair = generateKeyPairSync(type as "ed25519", DER) as unknown as { publicKey: Buffer; privateKey: Buffer };
  return {
    raw: pair.publicKey.subarray(pair.publicKey.length - 32),
    privateKey: createPrivateKey({ key: pair.privateKey, format: "der", type: "pkcs8" }),
  };
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
  const ed = keyPair("ed25519");
  const x = keyPair("x25519");
  return {
    id: encodePublicKey(PREFIX_SERVER, ed.raw),
    xkey: encodePublicKey(PREFIX_CURVE, x.raw),
    signingKey: ed.privateKey,
    curveKey: x.privateKey,
  };
}
