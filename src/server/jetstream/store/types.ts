// The seam between JetStream's streams (src/server/jetstream/) and the message stores that keep
// them (memory and file, src/server/jetstream/store/). Modelled on nats-server's StreamStore
// (server/store.go): the stream layer decides what to store and when; a store keeps messages by
// sequence, enforces the limits it is configured with, and answers lookups without scanning.
// Times are nanoseconds since the epoch (as nats-server's JSON carries them), as bigint-free
// numbers: ms * 1e6 + a sub-ms counter keeps them unique and ordered within a store.

/** One stored message. `hdr` and `data` are the store's own copies (or views it never reuses). */
export interface StoredMsg {
  readonly subject: string;
  readonly seq: number;
  /** Nanoseconds since the epoch. */
  readonly ts: number;
  /** The NATS/1.0 header block, or null. */
  readonly hdr: Buffer | null;
  readonly data: Buffer;
}

/** The limits a store enforces itself (from the stream's config). 0 or -1: unlimited. */
export interface StoreLimits {
  max_msgs: number;
  max_bytes: number;
  /** Nanoseconds; 0: no age limit. */
  max_age: number;
  max_msgs_per_subject: number;
  /** "old": drop the oldest to make room; "new": refuse (the stream layer answers the error). */
  discard: "old" | "new";
  /** With discard new: apply the per-subject limit by refusing (2.10's discard_new_per_subject). */
  discard_new_per_subject: boolean;
}

export interface StoreConfig extends StoreLimits {
  /** The stream's name (file stores use it for their directory). */
  name: string;
  storage: "file" | "memory";
  /** File stores: the directory of this stream's data (created when missing). */
  dir?: string;
  /** File stores: fsync every this many ms (nats-server's sync_interval, default 2 min); 0: the store's default; -1 ("always"): on every write. */
  sync_interval?: number;
}

/** nats-server's StreamState (the JSON of stream info "state", without consumer_count). */
export interface StreamState {
  messages: number;
  bytes: number;
  first_seq: number;
  /** Nanoseconds; 0 when empty. */
  first_ts: number;
  last_seq: number;
  last_ts: number;
  num_subjects: number;
  /** Sequences between first and last that were removed (interior deletes). */
  num_deleted: number;
}

/** Per-subject (or filtered) state: how many, first and last sequence. */
export interface SimpleState {
  msgs: number;
  first: number;
  last: number;
}

/** Why a message left the store (for the stream layer's bookkeeping and advisories). */
export type RemoveReason = "limits" | "age" | "delete" | "purge";

/** A store refusing a write: nats-server's errors (ErrMaxMsgs, ErrMaxBytes, ErrMaxMsgsPerSubject, ErrStoreClosed...). */
export class StoreError extends Error {
  constructor(
    readonly code: "max_msgs" | "max_bytes" | "max_msgs_per_subject" | "closed" | "sequence" | "full",
    message: string,
  ) {
    super(message);
  }
}

export interface MsgStore {
  /** Append; returns the sequence and timestamp given. Throws StoreError when limits refuse it. */
  storeMsg(subject: string, hdr: Buffer | null, data: Buffer): { seq: number; ts: number };
  /** Append at a given sequence and time (mirrors, sources, restore). */
  storeRawMsg(subject: string, hdr: Buffer | null, data: Buffer, seq: number, ts: number): void;
  /** Skip a sequence (mirrors with gaps). */
  skipMsg(): number;

  /** By sequence, or null when absent (deleted or out of range). */
  loadMsg(seq: number): StoredMsg | null;
  /** The last message on a subject (wildcards allowed, "" or ">" for any), or null. */
  loadLastMsg(filter: string): StoredMsg | null;
  /** The first message at or after `start` matching `filter` ("" or ">" any), or null. */
  loadNextMsg(filter: string, start: number): StoredMsg | null;

  /** Remove one message; false when it was not there. `erase` overwrites its bytes too. */
  removeMsg(seq: number, erase?: boolean): boolean;
  /**
   * nats-server's PurgeEx: with subject, only those; with seq, those below it; with keep, all
   * but the newest `keep`. Returns how many were removed.
   */
  purge(opts?: { subject?: string; seq?: number; keep?: number }): number;
  /** Remove everything below seq (and make seq the first). */
  compact(seq: number): number;

  state(): StreamState;
  /** Messages at or after `start` whose subject matches `filter`. */
  filteredState(start: number, filter: string): SimpleState;
  /** Per-subject state of the subjects matching filter (">" all). */
  subjectsState(filter: string): Map<string, SimpleState>;
  /** The interior deletes (for stream info with deleted_details), ascending. */
  deleted(): number[];

  /** Apply changed limits (stream update); may remove messages at once. */
  updateConfig(cfg: StoreConfig): void;
  /** Called after a message leaves the store (limits, age, delete, purge), with its sequence. */
  onRemove: ((seq: number, subject: string, reason: RemoveReason) => void) | null;

  /** Make every stored message durable now (fsync for a file store). */
  sync(): Promise<void>;
  /** Stop timers and close files; the data stays. */
  stop(): Promise<void>;
  /** Stop and delete the data. */
  delete(): Promise<void>;

  /** A consumer's persisted state, kept beside the stream (file stores) or in memory. */
  consumerStore(name: string): ConsumerStore;
}

/** nats-server's ConsumerState: delivered and ack floors, pending acks, redelivery counts. */
export interface ConsumerState {
  delivered: { consumer_seq: number; stream_seq: number };
  ack_floor: { consumer_seq: number; stream_seq: number };
  /** stream seq -> [consumer seq, ts ns] of messages delivered and not yet acked. */
  pending: Map<number, { sseq: number; cseq: number; ts: number }>;
  /** stream seq -> times redelivered. */
  redelivered: Map<number, number>;
}

export interface ConsumerStore {
  /** The state last written (an empty state for a new consumer). */
  state(): ConsumerState;
  /** Persist the whole state (file stores write it atomically). */
  update(state: ConsumerState): void;
  /** The consumer's config JSON, kept so that durables survive a restart. */
  writeConfig(json: string): void;
  readConfig(): string | null;
  stop(): Promise<void>;
  delete(): Promise<void>;
}
