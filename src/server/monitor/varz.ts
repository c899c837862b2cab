// /varz: the server's configuration and counters, with nats-server's field names, order,
// types and omitempty rules (monitor.go Varz).
import type { Monitor, Reply } from "./http.js";
import { goDurationNs, goTime, goUptime } from "./util.js";
import { cores, parallelism, residentMemory } from "./process.js";
import { NATS_VERSION } from "../version.js";

export function varz(m: Monitor): Record<string, unknown> {
  const s = m.view;
  const o = s.opts;
  const now = Date.now();
  const start = s.startTime;
  const n = s.counters();
  const v: Record<string, unknown> = {
    server_id: s.id,
    server_name: s.name,
    version: NATS_VERSION,
    proto: 1,
    go: `node${process.versions.node}`,
    host: o.host,
    port: s.port,
  };
  if (s.authRequired) v.auth_required = true;
  if (o.tls !== null && !o.allow_non_tls) v.tls_required = true;
  if (o.tls !== null && o.tls.verify) v.tls_verify = true;
  v.max_connections = o.max_connections;
  if (o.max_subscriptions !== 0) v.max_subscriptions = o.max_subscriptions;
  v.ping_interval = goDurationNs(o.ping_interval);
  v.ping_max = o.ping_max;
  v.http_host = o.http_host === "" ? o.host : o.http_host;
  // the configured value, as nats-server reports it (-1 stays -1; the ports file has the real one)
  v.http_port = o.http_port;
  v.http_base_path = o.http_base_path;
  v.https_port = o.https_port;
  v.auth_timeout = (o.authorization.timeout ?? 2000) / 1000;
  v.max_control_line = o.max_control_line;
  v.max_payload = o.max_payload;
  v.max_pending = o.max_pending;
  // clustering, gateways, leaf nodes, MQTT, websocket and JetStream are not there yet:
  // nats-server shows their blocks empty when they are not configured
  v.cluster = {};
  v.gateway = {};
  v.leaf = {};
  v.mqtt = {};
  v.websocket = {};
  v.jetstream = {};
  v.tls_timeout = (o.tls?.timeout ?? 2000) / 1000;
  v.write_deadline = goDurationNs(o.write_deadline);
  v.start = goTime(start);
  v.now = goTime(now);
  v.uptime = goUptime(now - start);
  v.mem = residentMemory();
  v.cores = cores();
  v.gomaxprocs = parallelism();
  v.cpu = m.cpu.percent();
  v.connections = n.connections;
  v.total_connections = n.totalConnections;
  v.routes = 0;
  v.remotes = 0;
  v.leafnodes = 0;
  v.in_msgs = n.inMsgs;
  v.out_msgs = n.outMsgs;
  v.in_bytes = n.inBytes;
  v.out_bytes = n.outBytes;
  v.slow_consumers = n.slowConsumers;
  v.subscriptions = n.subscriptions;
  v.http_req_stats = Object.fromEntries(m.reqStats);
  v.config_load_time = goTime(s.configLoadTime);
  if (o.server_tags.length > 0) v.tags = o.server_tags;
  // (nats-server names it even with no config at all: $SYS exists unless no_system_account)
  if (s.systemAccount !== "") v.system_account = s.systemAccount;
  v.slow_consumer_stats = { clients: n.slowConsumers, routes: 0, gateways: 0, leafs: 0 };
  return v;
}

export function handleVarz(m: Monitor): Reply {
  return { kind: "json", value: varz(m) };
}
