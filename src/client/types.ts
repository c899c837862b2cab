// Types shared by the client's modules, with nats.js's names and shapes.
import type { Match } from "../protocol/headers.js";
import type { Subscription } from "./subscription.js";

export type Payload = Uint8Array | string;

export interface MsgHdrs extends Iterable<[string, string[]]> {
  hasError: boolean;
  status: string;
  code: number;
  description: string;
  get(k: string, match?: Match): string;
  set(k: string, v: string, match?: Match): void;
  append(k: string, v: string, match?: Match): void;
  has(k: string, match?: Match): boolean;
  keys(): string[];
  values(k: string, match?: Match): string[];
  delete(k: string, match?: Match): void;
  last(k: string, match?: Match): string;
}

export interface PublishOptions {
  reply?: string;
  headers?: MsgHdrs;
}

export interface RequestOptions {
  timeout: number;
  headers?: MsgHdrs;
  noMux?: boolean;
  reply?: string;
}

export type RequestStrategy = "timer" | "count" | "stall" | "sentinel";

export interface RequestManyOptions {
  strategy: RequestStrategy;
  maxWait: number;
  headers?: MsgHdrs;
  maxMessages?: number;
  noMux?: boolean;
  stall?: number;
}

export interface Stats {
  inBytes: number;
  outBytes: number;
  inMsgs: number;
  outMsgs: number;
}

/** nats.c's connection states. */
export type ConnectionState =
  | "DISCONNECTED"
  | "CONNECTING"
  | "CONNECTED"
  | "CLOSED"
  | "RECONNECTING"
  | "DRAINING_SUBS"
  | "DRAINING_PUBS";

export const ConnectionState = {
  DISCONNECTED: "DISCONNECTED",
  CONNECTING: "CONNECTING",
  CONNECTED: "CONNECTED",
  CLOSED: "CLOSED",
  RECONNECTING: "RECONNECTING",
  DRAINING_SUBS: "DRAINING_SUBS",
  DRAINING_PUBS: "DRAINING_PUBS",
} as const;

/** Messages and payload bytes. */
export interface DataCount {
  msgs: number;
  bytes: number;
}

// Status events: nats.js's, each with `state` (nc.state right after the event) added, plus
// the drain phases and the accounting fields of the no-silent-drop guarantee.
interface StateField {
  state: ConnectionState;
}
export type DisconnectStatus = StateField & {
  type: "disconnect";
  server: string;
  /** Written to the socket that died and not confirmed by a PONG: may or may not have arrived. */
  unconfirmed: DataCount;
};
export type ReconnectStatus = StateField & { type: "reconnect"; server: string };
export type ReconnectingStatus = StateField & { type: "reconnecting"; server: string; attempt: number };
export type ClusterUpdateStatus = StateField & { type: "update"; added?: string[]; deleted?: string[] };
export type LDMStatus = StateField & { type: "ldm"; server: string };
export type ServerErrorStatus = StateField & { type: "error"; error: Error };
export type ClientPingStatus = StateField & { type: "ping"; pendingPings: number };
export type StaleConnectionStatus = StateField & { type: "staleConnection" };
export type ForceReconnectStatus = StateField & { type: "forceReconnect" };
export type SlowConsumerStatus = StateField & {
  type: "slowConsumer";
  sub: Subscription;
  pending: number;
  dropped: number;
};
export type DrainStatus = StateField & { type: "drainingSubs" | "drainingPubs" };
export type CloseStatus = StateField & {
  type: "close";
  /** Accepted by publish() and never sent (reconnect buffer, unsent outbound). */
  discarded: DataCount;
};
export type Status =
  | DisconnectStatus
  | ReconnectStatus
  | ReconnectingStatus
  | ClusterUpdateStatus
  | LDMStatus
  | ServerErrorStatus
  | ClientPingStatus
  | StaleConnectionStatus
  | SlowConsumerStatus
  | ForceReconnectStatus
  | DrainStatus
  | CloseStatus;

export interface ServerInfo {
  auth_required?: boolean;
  client_id: number;
  client_ip?: string;
  cluster?: string;
  connect_urls?: string[];
  git_commit?: string;
  go: string;
  headers?: boolean;
  host: string;
  jetstream?: boolean;
  ldm?: boolean;
  max_payload: number;
  nonce?: string;
  port: number;
  proto: number;
  server_id: string;
  server_name: string;
  tls_available?: boolean;
  tls_required?: boolean;
  tls_verify?: boolean;
  version: string;
}

export interface Server {
  readonly hostname: string;
  readonly port: number;
  readonly listen: string;
  readonly src: string;
  readonly tlsName: string;
  readonly reconnects: number;
  readonly lastConnect: number;
  readonly gossiped: boolean;
  readonly didConnect: boolean;
}
