/**
 * What the `EngineRegistry` needs from the controller (its hooks), and its liveness timing.
 *
 * @module
 */

import type { ErrorData } from "../protocol/errors.ts";
import type { ControllerToClient, EngineId, MsgId } from "../protocol/messages.ts";
import type { Clock } from "./clock.ts";
import type { EngineEntry } from "./engine_entry.ts";
import type { Logger } from "./log.ts";

/** What the registry needs from the controller. */
export interface RegistryHooks {
  /** Time. */
  clock: Clock;
  /** Log sink. */
  log: Logger;
  /** Tells every client. */
  broadcast(msg: ControllerToClient): void;
  /**
   * An engine will not finish a task it held: fail it, or retry it elsewhere. `unstarted`: the
   * task certainly did not start there (a load-balanced one then goes to another engine without
   * spending a retry). `planned`: the engine stopped on purpose (its death says nothing about
   * the task, see `killed_engines.ts`).
   */
  lost(
    entry: EngineEntry,
    msgId: MsgId,
    error: ErrorData,
    unstarted?: boolean,
    planned?: boolean,
  ): void;
  /** Whether a task has started (for the wording of its EngineError). */
  started(msgId: MsgId): boolean;
  /** A new engine can take load-balanced tasks. */
  added(id: EngineId): void;
  /** An engine is gone. */
  removed(id: EngineId): void;
}

/** Liveness timing of the `EngineRegistry`. */
export interface RegistryTiming {
  /** Ping interval. */
  heartbeatMs: number;
  /** Silence after which an engine is dead. */
  deadAfterMs: number;
  /** Time restored engines have to re-attach after a controller restart. */
  restoreGraceMs: number;
}
