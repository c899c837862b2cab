// The smaller endpoints: /routez, /gatewayz, /leafz and /jsz answer with nats-server's shapes
// for a server without clustering, gateways, leaf nodes or JetStream; /healthz reports what
// tsnats has. /accountz and /accstatz are in accountz.ts (re-exported here).
import type { Monitor, Reply } from "./http.js";
import { decodeBool, goTime } from "./util.js";
import { goQuote } from "../../protocol/quote.js";

export { accountNames, handleAccountStatz, handleAccountz } from "./accountz.js";

export function handleRoutez(m: Monitor, q: URLSearchParams): Reply {
  decodeBool(q, "subs");
  return {
    kind: "json",
    value: { server_id: m.view.id, server_name: m.view.name, now: goTime(Date.now()), num_routes: 0, routes: [] },
  };
}

export function handleGatewayz(m: Monitor, q: URLSearchParams): Reply {
  decodeBool(q, "accs");
  return {
    kind: "json",
    value: { server_id: m.view.id, now: goTime(Date.now()), outbound_gateways: {}, inbound_gateways: {} },
  };
}

export function handleLeafz(m: Monitor, q: URLSearchParams): Reply {
  decodeBool(q, "subs");
  return { kind: "json", value: { server_id: m.view.id, now: goTime(Date.now()), leafnodes: 0, leafs: [] } };
}

export function handleJsz(m: Monitor, q: URLSearchParams): Reply {
  for (const p of ["accounts", "streams", "consumers", "config", "leader-only", "raft"]) decodeBool(q, p);
  return {
    kind: "json",
    value: {
      server_id: m.view.id,
      now: goTime(Date.now()),
      disabled: true,
      config: { max_memory: 0, max_storage: 0 },
      memory: 0,
      storage: 0,
      reserved_memory: 0,
      reserved_storage: 0,
      accounts: 0,
      ha_assets: 0,
      api: { total: 0, errors: 0 },
      streams: 0,
      consumers: 0,
      messages: 0,
      bytes: 0,
    },
  };
}

/**
 * /healthz as nats-server 2.10 answers it for a server without JetStream: "ok", except for
 * malformed stream/consumer checks (400). The JetStream parameters are accepted: without
 * JetStream configured there is nothing more to check, as in nats-server.
 */
export function handleHealthz(m: Monitor, q: URLSearchParams): Reply {
  const jsEnabled = decodeBool(q, "js-enabled");
  if (jsEnabled) m.view.log.warnf("Healthcheck: js-enabled deprecated, use js-enabled-only instead");
  decodeBool(q, "js-enabled-only");
  decodeBool(q, "js-server-only");
  const details = decodeBool(q, "details");
  const account = q.get("account") ?? "";
  const stream = q.get("stream") ?? "";
  const consumer = q.get("consumer") ?? "";
  let problem = "";
  if (account === "" && stream !== "") problem = `"account" must not be empty when checking stream health`;
  else if (stream === "" && consumer !== "") problem = `"stream" must not be empty when checking consumer health`;
  if (problem === "") return { kind: "json", compact: true, value: { status: "ok" } };
  m.view.log.warnf(details ? "Healthcheck failed: 1 errors" : `Healthcheck failed: ${goQuote(problem)}`);
  const value = details
    ? { status: "error", errors: [{ type: "BAD_REQUEST", error: problem }] }
    : { status: "error", error: problem };
  return { kind: "json", status: 400, compact: true, value };
}
