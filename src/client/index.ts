// tsnats client: `import { connect } from "tsnats"`. The names and shapes follow
// @nats-io/transport-node 3.x, so moving an application is a change of import.
export { connect, createInbox, Empty, NatsConnectionImpl, VERSION, type NatsConnection } from "./connection.js";
export {
  errors,
  AuthorizationError,
  ClosedConnectionError,
  ConnectionError,
  DataDiscardedError,
  DrainingConnectionError,
  InvalidArgumentError,
  InvalidOperationError,
  InvalidSubjectError,
  NoRespondersError,
  PermissionViolationError,
  ProtocolError,
  ReconnectBufferFullError,
  RequestError,
  TimeoutError,
  UserAuthenticationExpiredError,
} from "./errors.js";
export {
  credsAuthenticator,
  credsFileAuthenticator,
  jwtAuthenticator,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Auth,
  type Authenticator,
  type JwtAuth,
  type NKeyAuth,
  type NoAuth,
  type TokenAuth,
  type UserPass,
} from "./authenticator.js";
export { headers, canonicalMIMEHeaderKey, Match, MsgHdrsImpl } from "../protocol/headers.js";
export { DEFAULTS, DEFAULT_HOST, DEFAULT_PORT, type ConnectionOptions, type TlsOptions } from "./options.js";
export type { Msg } from "./msg.js";
export type { Subscription, SubscriptionOptions, SubOpts, MsgCallback } from "./subscription.js";
export { NodeTransport, type Transport, type TransportHandler, type DialTarget } from "./transport.js";
export {
  ConnectionState,
  type ClientPingStatus,
  type CloseStatus,
  type ClusterUpdateStatus,
  type DataCount,
  type DisconnectStatus,
  type DrainStatus,
  type ForceReconnectStatus,
  type LDMStatus,
  type MsgHdrs,
  type Payload,
  type PublishOptions,
  type ReconnectingStatus,
  type ReconnectStatus,
  type RequestManyOptions,
  type RequestOptions,
  type RequestStrategy,
  type Server,
  type ServerErrorStatus,
  type ServerInfo,
  type SlowConsumerStatus,
  type StaleConnectionStatus,
  type Stats,
  type Status,
} from "./types.js";
export {
  nuid,
  Nuid,
  nanos,
  millis,
  deferred,
  delay,
  syncIterator,
  type Nanos,
  type Deferred,
  type Delay,
  type SyncIterator,
} from "./util.js";
