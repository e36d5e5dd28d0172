/**
 * Every message of the ipx wire protocol, as discriminated unions on `type`, one union per
 * direction. Each role dispatches through a `Record<Msg["type"], Handler>` table, so the
 * compiler proves every message is handled.
 *
 * User values never appear decoded in an envelope: they travel as `Uint8Array` produced by
 * `encodeValue`, so the controller routes them without decoding them.
 *
 * @module
 */

import type { ErrorData } from "./errors.ts";

/** Engine ids are 0, 1, 2… in registration order, never reused. */
export type EngineId = number;
/** A task's id; one per engine per request. */
export type MsgId = string;

/** The work a task asks of an engine. */
export type Op =
  | { kind: "execute"; code: string }
  | { kind: "apply"; fn: string; args: Uint8Array }
  | { kind: "push"; ns: Uint8Array }
  | { kind: "pull"; names: string[] }
  | { kind: "clear" }
  | { kind: "names" };

/** Options of a load-balanced task. */
export interface TaskOptions {
  /** Re-run on a different engine this many times after a failure. */
  retries?: number;
  /** Stop the task and fail with TaskTimeout after this long (ms, from when it starts). */
  timeoutMs?: number;
  /** Run only after these tasks succeeded (anywhere). */
  after?: MsgId[];
  /** Run on the engine(s) where these tasks ran, after they succeeded. */
  follow?: MsgId[];
  /** Engines this task may run on. */
  targets?: EngineId[];
  /** Scheduling scheme of the submitting view (one of {@linkcode SCHEMES}). */
  scheme?: string;
  /** Per-engine high-water mark of the submitting view: a count (`0` = no limit) or `"auto"`. */
  hwm?: Hwm;
}

/** How many ids of tasks whose results it sent an engine remembers for its next re-attach. */
export const FINISHED_KEPT = 4096;

/**
 * An engine announces a task as `started` once it has run this long (short tasks carry their
 * start time in the result: two fewer frames each). The controller's automatic high-water mark
 * takes the announcement as proof of a task at least this long.
 */
export const STARTED_AFTER_MS = 20;

/** The load balancer's scheduling schemes (ipyparallel's). */
export const SCHEMES = Object.freeze(["leastload", "lru", "random", "twobin", "weighted"] as const);

/**
 * A high-water mark: the most load-balanced tasks one engine may hold (`0` = no limit), or
 * `"auto"`: chosen by the controller from how long recent tasks ran (2 for tasks of a
 * millisecond or more, up to 16 for tiny ones).
 */
export type Hwm = number | "auto";

/** One task as submitted by a client. */
export interface SubmitTask {
  /** Unique id chosen by the client. */
  msgId: MsgId;
  /** Run on this engine (direct view); absent for load-balanced tasks. */
  engineId?: EngineId;
  /** The work. */
  op: Op;
  /** Load-balancing options (when `engineId` is absent). */
  lb?: TaskOptions;
  /** Label for the task database. */
  label?: string;
}

/** What the controller knows of an engine, as shown to clients. */
export interface EngineInfo {
  id: EngineId;
  host: string;
  pid: number;
  dataDir: string;
  /** `disconnected`: its connection dropped (or the controller restarted) and it has not
   * re-attached yet; tasks sent to it wait until it does, or fail when it is declared dead. */
  state: "idle" | "busy" | "disconnected" | "dead";
  queue: number;
  registeredAt: number;
}

/** Outcome of a task, as sent by the engine and relayed to clients. */
export interface TaskResult {
  msgId: MsgId;
  engineId: EngineId;
  ok: boolean;
  /** Encoded result value when ok. */
  value?: Uint8Array;
  /** Remote error when not ok. */
  error?: ErrorData;
  /** The engine's execution counter after this task (execute increments it). */
  executionCount: number;
  /** Epoch ms: when the controller received the submission. */
  submitted: number;
  /** Epoch ms: when the engine started it. */
  started: number;
  /** Epoch ms: when it completed. */
  completed: number;
}

/** Task record filters for `dbQuery`: a field equals a value or matches operators. */
export type DbFilter = Record<
  string,
  unknown | {
    $in?: unknown[];
    $nin?: unknown[];
    $gt?: unknown;
    $gte?: unknown;
    $lt?: unknown;
    $lte?: unknown;
    $ne?: unknown;
  }
>;

/** Requests a client can make of the controller, answered by a `reply`. */
export type Query =
  | { kind: "queue_status" }
  | { kind: "engines" }
  | { kind: "get_results"; msgIds: MsgId[] }
  | { kind: "db_query"; filter: DbFilter; keys?: string[] }
  | { kind: "purge"; msgIds?: MsgId[]; all?: boolean }
  | { kind: "shutdown"; targets?: EngineId[]; controller?: boolean }
  | { kind: "history" };

// ---------------------------------------------------------------------------------------------
// Handshake (before authentication; not part of the signed stream)

/** First frame from a connecting peer. */
export interface HelloMsg {
  type: "hello";
  role: "engine" | "client";
  ipxVersion: string;
  protocolVersion: number;
  nonce: Uint8Array;
}
/** The controller's answer to `hello`. */
export interface WelcomeMsg {
  type: "welcome";
  ipxVersion: string;
  protocolVersion: number;
  nonce: Uint8Array;
  proof: Uint8Array;
  /**
   * Whether frames after the handshake carry a MAC. False only over TLS, which already
   * authenticates every byte of the connection (absent = true).
   */
  frameMac?: boolean;
  /**
   * Largest frame payload the controller accepts (its `--max-frame-mb`): peers send no larger
   * frames and accept frames up to this plus {@linkcode FRAME_SLACK_BYTES} from it.
   */
  maxFrameBytes: number;
  /** Time a started frame has to complete, at the least (see `framed_conn.ts`); peers adopt it. */
  frameTimeoutMs: number;
}

/**
 * What a frame from the controller may exceed its own limit by: a relayed message carries what
 * its sender sent plus the controller's additions (ids, times, engine).
 */
export const FRAME_SLACK_BYTES = 1024 * 1024;

/** The peer's proof of the key. */
export interface AuthMsg {
  type: "auth";
  proof: Uint8Array;
}
/** The controller accepted the proof. */
export interface ReadyMsg {
  type: "ready";
}
/** A refusal at any step of the handshake, with the reason, then the connection closes. */
export interface RejectMsg {
  type: "reject";
  reason: "version" | "auth" | "timeout" | "protocol";
  message: string;
  ipxVersion: string;
  protocolVersion: number;
}
/** Any handshake message. */
export type HandshakeMsg = HelloMsg | WelcomeMsg | AuthMsg | ReadyMsg | RejectMsg;

// ---------------------------------------------------------------------------------------------
// Engine ⇄ controller

/** Engine → controller. */
export type EngineToController =
  | {
    type: "register";
    uuid: string;
    pid: number;
    host: string;
    dataDir: string;
    denoVersion: string;
    /** Set when re-registering after a lost connection: the id it had. */
    previousId?: EngineId;
    /** Tasks it is still running or finished but not yet acknowledged (after reconnect). */
    running?: MsgId[];
    /**
     * Tasks whose results it sent on an earlier connection (the most recent
     * {@linkcode FINISHED_KEPT}; after reconnect). A task the controller thinks this engine holds
     * that is in neither list never reached it, so it never ran.
     */
    finished?: MsgId[];
  }
  | { type: "started"; msgId: MsgId; started: number }
  | { type: "stream"; msgId: MsgId; name: "stdout" | "stderr"; text: string }
  | {
    type: "result";
    msgId: MsgId;
    ok: boolean;
    value?: Uint8Array;
    error?: ErrorData;
    executionCount: number;
    started: number;
    completed: number;
    /**
     * How long the task's code ran inside the engine's code Worker, in fractional ms (without
     * the engine's hand-over to it); feeds the controller's automatic high-water mark.
     */
    runMs?: number;
  }
  | {
    type: "interrupted";
    msgIds: MsgId[];
    /** The namespace was reset (the code worker was replaced). */
    reset: boolean;
    /** False when the old code worker could not be stopped and still spins. */
    clean: boolean;
  }
  /** The engine is stopping on purpose (sent just before it closes the connection). */
  | { type: "unregister"; reason: string }
  | { type: "pong"; t: number };

/** Controller → engine. */
export type ControllerToEngine =
  | {
    type: "registered";
    engineId: EngineId;
    heartbeatMs: number;
    deadAfterMs: number;
    /**
     * True when the engine got its previous id back (after a dropped connection or a
     * controller restart): its queued tasks and unsent results are still wanted. False for a
     * new id: anything it held was already failed or retried elsewhere, so it drops it.
     */
    resumed: boolean;
  }
  | { type: "run"; msgId: MsgId; op: Op; timeoutMs?: number }
  | { type: "interrupt"; msgIds: MsgId[] }
  | { type: "abort"; msgIds: MsgId[] }
  /**
   * Send these results again: the engine sent them on an earlier connection (it said so in
   * `finished`) and they were lost on the way (the controller stopped or the link dropped).
   */
  | { type: "resend"; msgIds: MsgId[] }
  | { type: "shutdown" }
  | { type: "ping"; t: number };

// ---------------------------------------------------------------------------------------------
// Client ⇄ controller

/** An engine process that ended, as its supervisor saw it (the `engine_exited` message). */
export interface EngineExitReport {
  /** Its engine id, when it had registered. */
  engineId?: EngineId;
  /** Its process id. */
  pid: number;
  /** The host it ran on. */
  host: string;
  /** How it ended ("killed by signal SIGKILL", "exit code 1", "out of memory"…). */
  how: string;
}

/** Client → controller. */
export type ClientToController =
  | { type: "submit"; tasks: SubmitTask[] }
  | { type: "interrupt"; msgIds: MsgId[] }
  | { type: "abort"; msgIds: MsgId[] }
  | { type: "query"; reqId: number; query: Query }
  | { type: "resume"; msgIds: MsgId[] }
  /**
   * From an engine supervisor: an engine process ended (`how`: "killed by signal SIGKILL",
   * "exit code 1", "out of memory"…). The controller declares that engine dead at once and
   * names the cause in the EngineError of its tasks.
   */
  | ({ type: "engine_exited" } & EngineExitReport)
  | { type: "ping"; t: number };

/** Controller → client. */
export type ControllerToClient =
  /** On connecting: the registered engines, and (after a restart) restored ones not back yet. */
  | { type: "engines"; engines: EngineInfo[]; restoring?: EngineId[] }
  | { type: "engine_registered"; engine: EngineInfo }
  | { type: "engine_unregistered"; engineId: EngineId; reason: string }
  | { type: "assigned"; msgId: MsgId; engineId: EngineId }
  | { type: "started"; msgId: MsgId; engineId: EngineId; started: number }
  | { type: "stream"; msgId: MsgId; engineId: EngineId; name: "stdout" | "stderr"; text: string }
  | ({ type: "result" } & TaskResult)
  | { type: "reply"; reqId: number; ok: boolean; value?: unknown; error?: ErrorData }
  | { type: "pong"; t: number }
  /**
   * The controller is shutting down for good (a client asked it to): clients stop reconnecting
   * and fail what is still open with `reason`, instead of retrying for their reconnect bound.
   */
  | { type: "shutdown"; reason: string };

/** Any message of the authenticated stream. */
export type WireMsg =
  | EngineToController
  | ControllerToEngine
  | ClientToController
  | ControllerToClient;
