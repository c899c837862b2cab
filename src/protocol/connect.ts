// CONNECT decoding with Go encoding/json's rules, as nats-server applies them to its
// ClientOpts: keys match case-insensitively (the last one wins), unknown keys are ignored,
// null leaves a field unchanged, and a value of the wrong type is an error.

type FieldType = "bool" | "string" | "int";

const FIELDS: Record<string, [string, FieldType]> = {
  echo: ["echo", "bool"],
  verbose: ["verbose", "bool"],
  pedantic: ["pedantic", "bool"],
  tls_required: ["tls_required", "bool"],
  nkey: ["nkey", "string"],
  jwt: ["jwt", "string"],
  sig: ["sig", "string"],
  auth_token: ["auth_token", "string"],
  user: ["user", "string"],
  pass: ["pass", "string"],
  name: ["name", "string"],
  lang: ["lang", "string"],
  version: ["version", "string"],
  protocol: ["protocol", "int"],
  account: ["account", "string"],
  new_account: ["new_account", "bool"],
  headers: ["headers", "bool"],
  no_responders: ["no_responders", "bool"],
};

/** The CONNECT fields the server reads, with nats-server's defaults. */
export interface ConnectOptions {
  echo: boolean;
  verbose: boolean;
  pedantic: boolean;
  tls_required: boolean;
  nkey: string;
  jwt: string;
  sig: string;
  auth_token: string;
  user: string;
  pass: string;
  name: string;
  lang: string;
  version: string;
  protocol: number;
  account: string;
  new_account: boolean;
  headers: boolean;
  no_responders: boolean;
}

export function defaultConnectOptions(): ConnectOptions {
  return {
    echo: true,
    verbose: true,
    pedantic: true,
    tls_required: false,
    nkey: "",
    jwt: "",
    sig: "",
    auth_token: "",
    user: "",
    pass: "",
    name: "",
    lang: "",
    version: "",
    protocol: 0,
    account: "",
    new_account: false,
    headers: false,
    no_responders: false,
  };
}

export class ConnectDecodeError extends Error {}

/**
 * Decode a CONNECT argument (UTF-8 JSON) onto `into`. Throws ConnectDecodeError with a
 * Go-like message when nats-server's decoder would fail.
 */
export function decodeConnect(text: string, into: ConnectOptions): void {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ConnectDecodeError((e as Error).message);
  }
  if (v === null) return;
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new ConnectDecodeError(
      `json: cannot unmarshal ${Array.isArray(v) ? "array" : typeof v} into Go value of type server.ClientOpts`,
    );
  }
  const target = into as unknown as Record<string, unknown>;
  for (const [rawKey, val] of Object.entries(v as Record<string, unknown>)) {
    const f = FIELDS[rawKey.toLowerCase()];
    if (f === undefined || val === null) continue;
    const [name, type] = f;
    if (type === "bool") {
      if (typeof val !== "boolean") throw typeError(val, name, "bool");
      target[name] = val;
    } else if (type === "string") {
      if (typeof val !== "string") throw typeError(val, name, "string");
      target[name] = val;
    } else {
      if (typeof val !== "number" || !Number.isInteger(val) || !intLiteral(text, rawKey)) {
        throw typeError(val, name, "int");
      }
      target[name] = val;
    }
  }
}

function typeError(val: unknown, field: string, goType: string): ConnectDecodeError {
  const jsType =
    typeof val === "number"
      ? "number"
      : typeof val === "string"
        ? "string"
        : typeof val === "boolean"
          ? "bool"
          : Array.isArray(val)
            ? "array"
            : "object";
  return new ConnectDecodeError(
    `json: cannot unmarshal ${jsType} into Go struct field ClientOpts.${field} of type ${goType}`,
  );
}

/** Go refuses 1.0 or 1e0 for an int field: every literal given for the key must be digits only. */
function intLiteral(text: string, key: string): boolean {
  const esc = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`"${esc}"\\s*:\\s*(-?[0-9][0-9.eE+-]*)`, "g");
  let m: RegExpExecArray | null;
  let last: string | null = null;
  while ((m = re.exec(text)) !== null) last = m[1];
  return last === null || /^-?(0|[1-9][0-9]*)$/.test(last);
}
