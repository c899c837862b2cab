// Moved to conn/client.ts (with its parts conn/outbound.ts, conn/auth.ts, conn/stall.ts).
// This re-export keeps imports of the old path working until they are updated.
export * from "./conn/client.js";
