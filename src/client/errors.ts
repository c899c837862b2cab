// The error classes of nats.js 3.x (same names, `name` values and messages), plus the
// ones the no-silent-drop rules need (ReconnectBufferFullError, DataDiscardedError).

export class InvalidSubjectError extends Error {
  constructor(subject: string, options?: ErrorOptions) {
    super(`illegal subject: '${subject}'`, options);
    this.name = "InvalidSubjectError";
  }
}

export class InvalidArgumentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidArgumentError";
  }
  static format(property: string | string[], message: string, options?: ErrorOptions): InvalidArgumentError {
    const p = Array.isArray(property) ? property.map((n) => `'${n}'`).join(",") : `'${property}'`;
    return new InvalidArgumentError(`${p} ${message}`, options);
  }
}

export class InvalidOperationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidOperationError";
  }
}

export class UserAuthenticationExpiredError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UserAuthenticationExpiredError";
  }
  static parse(s: string): UserAuthenticationExpiredError | null {
    return s.toLowerCase().includes("user authentication expired") ? new UserAuthenticationExpiredError(s) : null;
  }
}

export class AuthorizationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AuthorizationError";
  }
  static parse(s: string): AuthorizationError | null {
    const t = s.toLowerCase();
    for (const m of ["authorization violation", "account authentication expired", "authentication timeout"]) {
      if (t.includes(m)) return new AuthorizationError(s);
    }
    return null;
  }
}

export class ClosedConnectionError extends Error {
  constructor() {
    super("closed connection");
    this.name = "ClosedConnectionError";
  }
}

export class DrainingConnectionError extends Error {
  constructor() {
    super("connection draining");
    this.name = "DrainingConnectionError";
  }
}

export class ConnectionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionError";
  }
}

export class ProtocolError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProtocolError";
  }
}

export class RequestError extends Error {
  constructor(message = "", options?: ErrorOptions) {
    super(message, options);
    this.name = "RequestError";
  }
  isNoResponders(): boolean {
    return this.cause instanceof NoRespondersError;
  }
}

export class TimeoutError extends Error {
  constructor(options?: ErrorOptions) {
    super("timeout", options);
    this.name = "TimeoutError";
  }
}

export class NoRespondersError extends Error {
  subject: string;
  constructor(subject: string, options?: ErrorOptions) {
    super(`no responders: '${subject}'`, options);
    this.subject = subject;
    this.name = "NoResponders";
  }
}

export class PermissionViolationError extends Error {
  operation: "publish" | "subscription";
  subject: string;
  queue?: string;
  constructor(
    message: string,
    operation: "publish" | "subscription",
    subject: string,
    queue?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "PermissionViolationError";
    this.operation = operation;
    this.subject = subject;
    this.queue = queue;
  }
  /** From a server -ERR text such as `Permissions Violation for Publish to "x"`. */
  static parse(s: string): PermissionViolationError | null {
    if (!s.toLowerCase().includes("permissions violation")) return null;
    const m = /for (publish|subscription) to "(\S+)"(?: using queue "(\S+)")?/i.exec(s);
    if (m === null) return null;
    const op = m[1].toLowerCase() === "publish" ? "publish" : "subscription";
    return new PermissionViolationError(s, op, m[2], m[3]);
  }
}

/**
 * A publish while disconnected did not fit in the reconnect buffer (`reconnectBufSize`).
 * Nothing of the message was taken; everything accepted before it is still buffered.
 */
export class ReconnectBufferFullError extends Error {
  /** Bytes buffered when the publish was refused, and the limit. */
  buffered: number;
  limit: number;
  constructor(buffered: number, limit: number) {
    super(`reconnect buffer full: ${buffered} bytes buffered, limit ${limit}`);
    this.name = "ReconnectBufferFullError";
    this.buffered = buffered;
    this.limit = limit;
  }
}

/**
 * What `closed()` resolves to when the connection closed for good while holding data it had
 * accepted (reconnect attempts exhausted, or closed while disconnected): nothing is silent.
 */
export class DataDiscardedError extends Error {
  /** Messages and bytes accepted by publish() that were never sent. */
  msgs: number;
  bytes: number;
  constructor(msgs: number, bytes: number, options?: ErrorOptions) {
    super(`connection closed with ${msgs} unsent messages (${bytes} bytes) discarded`, options);
    this.name = "DataDiscardedError";
    this.msgs = msgs;
    this.bytes = bytes;
  }
}

export const errors = {
  AuthorizationError,
  ClosedConnectionError,
  ConnectionError,
  DataDiscardedError,
  DrainingConnectionError,
  InvalidArgumentError,
  InvalidOperationError,
  InvalidSubjectError,
  NoRespondersError,
  PermissionViolationError,
  ProtocolError,
  ReconnectBufferFullError,
  RequestError,
  TimeoutError,
  UserAuthenticationExpiredError,
};
