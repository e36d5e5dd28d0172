/**
 * The types and errors of the {@linkcode Executor} (`executor.ts` re-exports them).
 *
 * @module
 */

import type { ErrorData } from "../protocol/errors.ts";
import type { Op as ProtocolOp } from "../protocol/messages.ts";
import type { SandboxOptions } from "./sandbox.ts";
import type { SourcePreparer } from "./stripper.ts";
// deno-lint-ignore no-unused-vars
import type { Executor } from "./executor.ts";

/** How to start an {@linkcode Executor}. */
export interface ExecutorOptions extends SandboxOptions {
  /** Named in error messages ("on engine 3"). */
  engineId?: number;
  /**
   * How long the code Worker keeps unused spare result buffers (ms; `SPARE_IDLE_MS` of
   * `spare_buffers.ts` by default). Tests shorten it.
   */
  spareIdleMs?: number;
  /** Prepares `execute` and `apply` sources (the process's `stripper` by default; tests inject one). */
  sources?: SourcePreparer;
}

/**
 * One operation on the user namespace. `execute` yields the last expression's value, `apply`
 * the function's (awaited) result, `pull` an array of the named values in order, `names` the
 * sorted names defined in the namespace; `push` and `clear` yield `undefined`. Every value is
 * encoded with `encodeValue`.
 */
export type Op = ProtocolOp;

/** Timing and numbering shared by both outcomes. */
interface OutcomeMeta {
  /** Number of `execute` ops started so far, including this one. */
  executionCount: number;
  /** `Date.now()` when the op left the queue. */
  startedAt: number;
  /** `Date.now()` when its outcome was known. */
  completedAt: number;
  /** How long the op's code ran inside the code Worker, ms (absent when it did not run there). */
  runMs?: number;
  /** The op was withdrawn before it started (see {@linkcode Executor.stop}); it never ran. */
  withdrawn?: true;
}

/** The result of {@linkcode Executor.run}: encoded value, or error data. */
export type RunOutcome =
  | ({ ok: true; value: Uint8Array } & OutcomeMeta)
  | ({ ok: false; error: ErrorData } & OutcomeMeta);

/** The executor could not start its Worker. */
export class ExecutorStartError extends Error {
  /**
   * @param message What failed.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ExecutorStartError";
  }
}

/** The executor was used after {@linkcode Executor.close}. */
export class ExecutorClosedError extends Error {
  /**
   * @param message What was attempted.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ExecutorClosedError";
  }
}

/** How {@linkcode Executor.run} runs an op. */
export interface RunOptions {
  /**
   * The op's payload bytes (`args`, `ns`) are views of a buffer nothing else refers to; a big
   * one is then moved to the Worker instead of copied, which leaves the caller's view empty.
   */
  exclusive?: boolean;
  /** Called when the op starts (leaves the queue), with `Date.now()`. */
  onStart?: (startedAt: number) => void;
}

/** What {@linkcode Executor.stop} did. */
export interface StopResult {
  /** The op had started (it ran or runs); false when it was withdrawn before starting. */
  started: boolean;
  /** The namespace was reset (the op was running in the Worker, which was replaced). */
  reset: boolean;
  /** Nothing is left running (see {@linkcode Executor.interrupt}). */
  clean: boolean;
}
