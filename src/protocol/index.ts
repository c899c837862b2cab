// The wire format shared by the server and the client library.
export { Parser, Op, ParseErrorKind, parseSize, type ParserHandler } from "./parser.js";
export { isValidSubject, isValidLiteralSubject, subjectHasWildcard, subjectMatches } from "./subject.js";
export { decodeConnect, defaultConnectOptions, ConnectDecodeError, type ConnectOptions } from "./connect.js";
export { goQuote } from "./quote.js";
export { OutboundBuffer } from "./outbound.js";
export {
  encodeConnect,
  encodePub,
  encodeHpub,
  encodeSub,
  encodeUnsub,
  encodePing,
  encodePong,
  PING,
  PONG,
} from "./encode.js";
export { MsgHdrsImpl, Match, headers, canonicalMIMEHeaderKey, decodeHeaders, HeaderError } from "./headers.js";
