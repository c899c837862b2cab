// The wire format shared by the server and (soon) the client library.
export { Parser, Op, ParseErrorKind, parseSize, type ParserHandler } from "./parser.js";
export { isValidSubject, isValidLiteralSubject, subjectHasWildcard, subjectMatches } from "./subject.js";
export { decodeConnect, defaultConnectOptions, ConnectDecodeError, type ConnectOptions } from "./connect.js";
export { goQuote } from "./quote.js";
