// The one module through which the tsnats CLI reaches a NATS client library. Everything else in
// src/cli/ uses only what this module exports, which is the public nats.js API surface
// (@nats-io/transport-node 3.x names and shapes). Until the tsnats client (src/client/) lands,
// this re-exports nats.js; switching to the tsnats client is changing the module name below.
export { connect, headers, createInbox, credsAuthenticator, nkeyAuthenticator } from "@nats-io/transport-node";
export type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
