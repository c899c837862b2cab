// The protocol's enums as runtime objects, for plain JavaScript (`import { Op } from
// "tsnats/protocol"`). The parser keeps its `const enum`s, which the compiler inlines on the
// hot path and which leave nothing at runtime; these objects are built from those very
// members, so their values cannot drift; the `satisfies` clauses make the compiler refuse an
// object that misses a member, and they are frozen.
import { Op as OpEnum, ParseErrorKind as ParseErrorKindEnum } from "./parser.js";

/** Every member of a const enum, each with its value. */
type AllMembers<E extends object, V> = { readonly [K in keyof E]: V };

/** The operations of the protocol, as the parser reports them (ParserHandler.onOp, Parser.op). */
export const Op = Object.freeze({
  None: OpEnum.None,
  Pub: OpEnum.Pub,
  Hpub: OpEnum.Hpub,
  Sub: OpEnum.Sub,
  Unsub: OpEnum.Unsub,
  Ping: OpEnum.Ping,
  Pong: OpEnum.Pong,
  Connect: OpEnum.Connect,
  Info: OpEnum.Info,
  Msg: OpEnum.Msg,
  Hmsg: OpEnum.Hmsg,
  Ok: OpEnum.Ok,
  Err: OpEnum.Err,
} as const satisfies AllMembers<typeof OpEnum, OpEnum>);
export type Op = OpEnum;

/** Why the parser stopped (ParserHandler.onParseError). */
export const ParseErrorKind = Object.freeze({
  UnknownOp: ParseErrorKindEnum.UnknownOp,
  MaxControlLine: ParseErrorKindEnum.MaxControlLine,
} as const satisfies AllMembers<typeof ParseErrorKindEnum, ParseErrorKindEnum>);
export type ParseErrorKind = ParseErrorKindEnum;
