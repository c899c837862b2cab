// Public entry point for running tsnats-server inside a Node.js process.
export { Server, type ServerEvents, type ServerDeps } from "./server.js";
export { ClientConnection, type CloseReason } from "./conn/client.js";
export { ConnKind, InMsg, Subscription, type Conn, type MsgCallback } from "./conn/conn.js";
export { Account, type InterestListener } from "./account.js";
export { Logger, MemorySink, FdSink, FileSink, logSinkFromOptions, type LogSink, type LogOptions } from "./logger.js";
export { defaultOptions, resolveOptions, type ServerOptions, type PartialOptions } from "./options.js";
export type { Authenticator, AuthRequest, AuthResult } from "./auth/authenticator.js";
export { ConfigAuthenticator } from "./auth/authenticator.js";
export { ReloadError } from "./reload.js";
export { NATS_VERSION, TSNATS_VERSION } from "./version.js";
export {
  startServer,
  EmbeddedServer,
  checkEmbedOptions,
  EMBED_DEFAULTS,
  type EmbedExtras,
  type EmbedLogger,
  type EmbeddedState,
  type EmbeddedStats,
  type OnceOptions,
  type ServerEventName,
} from "./embed.js";
export { loadConfigOptions, ConfigLoadError } from "./config/load.js";
export { ConfigError } from "./config/parser.js";
