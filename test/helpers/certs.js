// Test certificates: made with openssl at test time by scripts/certs.mjs, which the TLS cases of
// `npm run bench` share.
export { makeCerts, makeServerCerts } from "../../scripts/certs.mjs";
