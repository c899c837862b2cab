// The tsnats client against an embedded tsnats server: publish, subscribe, request/reply.
// Run from the repository root after `npm run build`: node examples/client/hello.mjs
import { startServer } from "tsnats/server";
import { connect, headers } from "tsnats";

const server = await startServer();
const nc = await connect({ servers: server.url });

// a service: answers every request on "time"
nc.subscribe("time", { callback: (_err, m) => m.respond(new Date(0).toISOString()) });

// a subscriber as an async iterator, ending after 2 messages
const sub = nc.subscribe("greet.*", { max: 2 });
const h = headers();
h.set("From", "hello.mjs");
nc.publish("greet.en", "hello", { headers: h });
nc.publish("greet.fr", "bonjour");
for await (const m of sub) console.log(`${m.subject}: ${m.string()} (from ${m.headers?.get("From") ?? "-"})`);

const reply = await nc.request("time", "", { timeout: 1000 });
console.log(`time: ${reply.string()}`);

await nc.drain(); // DRAINING_SUBS, DRAINING_PUBS, CLOSED
await server.shutdown();
