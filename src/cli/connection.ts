// The one module through which the tsnats CLI reaches a NATS client library. Everything else in
// src/cli/ uses only what this module exports, which is the public nats.js API surface
// (@nats-io/transport-node 3.x names and shapes), served by the tsnats client (src/client/).
//
// What the CLI uses of it:
// - connect({ servers, name, timeout, user, pass, token, authenticator, reconnect,
//   maxReconnectAttempts, tls: { certFile, keyFile, caFile, handshakeFirst } })
// - nc.publish(subject, data, { reply, headers }), nc.subscribe(subject, { queue, max, callback }),
//   nc.request(subject, data, { timeout }), nc.flush(), nc.drain(), nc.close(), nc.closed(),
//   nc.isClosed(), nc.getServer(); sub.unsubscribe(), sub.getSubject()
// - msg.subject, msg.reply, msg.data, msg.headers (iterable [key, values[]], code, description),
//   msg.respond(data, { headers }), msg.string(), msg.json()
// - headers() with append(), createInbox(), credsAuthenticator(bytes), nkeyAuthenticator(seed)
export { connect, headers, createInbox, credsAuthenticator, nkeyAuthenticator } from "../client/index.js";
export type { Msg, MsgHdrs, NatsConnection, Subscription } from "../client/index.js";
