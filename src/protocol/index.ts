// The wire format shared by the server and the client library.
export { Parser, parseSize, type ParserHandler } from "./parser.js";
// runtime objects (the parser's const enums leave nothing for plain JavaScript to import)
export { Op, ParseErrorKind } from "./enums.js";
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
  encodeMsg,
  encodeHmsg,
  encodeMessage,
  encodeInfo,
  PING,
  PONG,
} from "./encode.js";
export { MsgHdrsImpl, Match, headers, canonicalMIMEHeaderKey, decodeHeaders, HeaderError } from "./headers.js";
