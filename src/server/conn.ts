// Moved to conn/conn.ts. This re-export keeps imports of the old path working until they are
// updated.
export * from "./conn/conn.js";
