// The client `tls {}` block and the --tls* flags, with nats-server's field names and error
// texts (opts.go parseTLS, GenTLSConfig, overrideTLS). Certificates are loaded here too, so a
// missing or bad file is reported at the block, as nats-server reports it.
import { goType, type ConfigValue } from "./parser.js";
import { parseGoDuration } from "../duration.js";
import { DEFAULT_TLS_FIRST_FALLBACK, defaultTLSOptions, type TLSOptions } from "../options.js";
import { CIPHERS, CURVES, buildTLSContext } from "../tls.js";

type Report = (v: ConfigValue, msg: string) => void;

function goDurationErr(s: string): string {
  return `time: invalid duration ${JSON.stringify(s)}`;
}

/** Parse the top-level `tls` block; problems go to `err` at nats-server's positions. */
export function parseTLSBlock(v: ConfigValue, err: Report): TLSOptions | undefined {
  if (v.kind !== "map") {
    err(v, "error parsing tls config, expected a map");
    return undefined;
  }
  const t = defaultTLSOptions();
  const before = { n: 0 };
  const fail = (e: ConfigValue, msg: string): undefined => {
    before.n++;
    err(e, msg);
    return undefined;
  };
  const file = (k: string, e: ConfigValue): string | undefined =>
    e.kind === "string" ? e.value : fail(e, `error parsing tls config, expected '${k}' to be filename`);
  const flag = (k: string, e: ConfigValue): boolean | undefined =>
    e.kind === "boolean" ? e.value : fail(e, `error parsing tls config, expected '${k}' to be a boolean`);
  for (const [key, e] of v.value) {
    const k = key.toLowerCase();
    switch (k) {
      case "cert_file":
        t.cert_file = file(k, e) ?? "";
        break;
      case "key_file":
        t.key_file = file(k, e) ?? "";
        break;
      case "ca_file":
        t.ca_file = file(k, e) ?? "";
        break;
      case "verify":
        t.verify = flag(k, e) ?? false;
        break;
      case "verify_and_map": {
        const b = flag(k, e) ?? false;
        if (b) t.verify = true;
        t.verify_and_map = b;
        break;
      }
      case "verify_cert_and_check_known_urls": {
        const b = flag(k, e);
        // nats-server accepts it only for routes, gateways and leaf nodes
        if (b === true) fail(e, "verify_cert_and_check_known_urls not supported in this context");
        break;
      }
      case "cipher_suites":
      case "curve_preferences": {
        const map = k === "cipher_suites" ? CIPHERS : CURVES;
        const what = k === "cipher_suites" ? "cipher" : "curve preference";
        const items = e.kind === "array" ? e.value : [e];
        if (items.length === 0) {
          fail(e, `error parsing tls config, '${k}' cannot be empty`);
          break;
        }
        const names: string[] = [];
        for (const it of items) {
          const name = it.kind === "string" ? it.value : String(it.value);
          if (!(name in map)) fail(it, `unrecognized ${what} ${name}`);
          else names.push(name);
        }
        if (k === "cipher_suites") t.cipher_suites = names;
        else t.curve_preferences = names;
        break;
      }
      case "timeout":
        if (e.kind === "integer" || e.kind === "float") t.timeout = Number(e.value) * 1000;
        else if (e.kind === "string") {
          const d = parseGoDuration(e.value);
          if (d === null) fail(e, `error parsing tls config, 'timeout' ${goDurationErr(e.value)}`);
          else t.timeout = d;
        } else fail(e, "error parsing tls config, 'timeout' wrong type");
        break;
      case "pinned_certs": {
        if (e.kind !== "array") {
          fail(
            e,
            "error parsing tls config, expected 'pinned_certs' to be a list of hex-encoded sha256 of DER encoded SubjectPublicKeyInfo",
          );
          break;
        }
        const out: string[] = [];
        for (const it of e.value) {
          const entry = String(it.value).toLowerCase();
          if (!/^[a-f0-9]{64}$/.test(entry)) {
            fail(
              it,
              `error parsing tls config, 'pinned_certs' key ${entry} does not look like hex-encoded sha256 of DER encoded SubjectPublicKeyInfo`,
            );
          } else out.push(entry);
        }
        t.pinned_certs = out;
        break;
      }
      case "handshake_first":
      case "first":
      case "immediate":
        if (e.kind === "boolean") t.handshake_first = e.value;
        else if (e.kind === "string") {
          const s = e.value.toLowerCase();
          if (s === "true" || s === "on") t.handshake_first = true;
          else if (s === "false" || s === "off") t.handshake_first = false;
          else if (s === "auto" || s === "auto_fallback") {
            t.handshake_first = true;
            t.handshake_first_fallback = DEFAULT_TLS_FIRST_FALLBACK;
          } else {
            const d = parseGoDuration(e.value);
            if (d === null) fail(e, `field ${JSON.stringify(key)}'s value ${JSON.stringify(e.value)} is invalid`);
            else {
              t.handshake_first = true;
              t.handshake_first_fallback = d;
            }
          }
        } else fail(e, `field ${JSON.stringify(key)} should be a boolean or a string, got ${goType(e)}`);
        break;
      case "min_version": {
        if (e.kind !== "string") {
          fail(e, `error parsing tls config: 'min_version' wrong type: ${String(e.value)}`);
          break;
        }
        const m = /^1\.([0-3])$/.exec(e.value);
        if (m === null) fail(e, `error parsing tls config: unknown version: ${e.value}`);
        else if (Number(m[1]) < 2) fail(e, `error parsing tls config: unsupported TLS version: TLS 1.${m[1]}`);
        else t.min_version = `1.${m[1]}`;
        break;
      }
      case "insecure":
      case "connection_rate_limit":
      case "cert_store":
      case "cert_match_by":
      case "cert_match":
      case "ca_certs_match":
      case "cert_match_skip_invalid":
      case "ocsp_peer":
      case "certs":
      case "certificates":
        fail(e, `tls option ${JSON.stringify(key)} is not supported by tsnats-server yet`);
        break;
      default:
        if (!e.usedVariable) fail(e, `error parsing tls config, unknown field ${JSON.stringify(key)}`);
    }
  }
  if (before.n > 0) return undefined;
  // GenTLSConfig: the files are read now; an error is reported at the block
  const problem = checkTLSFiles(t);
  if (problem !== null) {
    err(v, problem);
    return undefined;
  }
  return t;
}

/** nats-server's GenTLSConfig checks: null when the certificate, key and CA load. */
export function checkTLSFiles(t: TLSOptions): string | null {
  if (t.cert_file !== "" && t.key_file === "") return "missing 'key_file' in TLS configuration";
  if (t.cert_file === "" && t.key_file !== "") return "missing 'cert_file' in TLS configuration";
  try {
    buildTLSContext(t);
  } catch (e) {
    return (e as Error).message;
  }
  return null;
}

/** The --tls, --tlscert, --tlskey, --tlsverify and --tlscacert flags. */
export interface TLSFlags {
  tls?: boolean;
  tlsverify?: boolean;
  tlscert?: string;
  tlskey?: string;
  tlscacert?: string;
}

/**
 * nats-server's overrideTLS: any of the TLS flags set (and not -tls=false) replaces the
 * file's tls block with one made of the flags; -tls=false turns TLS off (null). Returns
 * undefined when no TLS flag is given.
 */
export function tlsFromFlags(f: TLSFlags): TLSOptions | null | undefined {
  if (f.tls === false) return null;
  const any =
    f.tls !== undefined ||
    f.tlsverify !== undefined ||
    f.tlscert !== undefined ||
    f.tlskey !== undefined ||
    f.tlscacert !== undefined;
  if (!any) return undefined;
  const cert = f.tlscert ?? "";
  const key = f.tlskey ?? "";
  if (cert === "") throw new Error("TLS Server certificate must be present and valid");
  if (key === "") throw new Error("TLS Server private key must be present and valid");
  const t = defaultTLSOptions();
  t.cert_file = cert;
  t.key_file = key;
  t.ca_file = f.tlscacert ?? "";
  t.verify = f.tlsverify === true;
  const problem = checkTLSFiles(t);
  if (problem !== null) throw new Error(problem);
  return t;
}
