/** The nats-server version whose behaviour tsnats implements; advertised in INFO. */
export const NATS_VERSION = "2.10.29";
/** tsnats's own version (kept equal to package.json's; a test checks). */
export const TSNATS_VERSION = "0.1.0";
