/**
 * The retry bookkeeping of a load-balanced task: whether a failed task is re-queued (it never
 * ran), retried on a *different* engine (it failed and has retries left), or done; and when a
 * retry that no engine takes gives up. A retry that already failed on every engine there is
 * fails at once with its last error, unless one of those engines died: then it waits
 * `replacementWaitMs` for a new engine (a supervisor may be starting one). Engines that died
 * under the task are counted too (see `killed_engines.ts`).
 *
 * Pure apart from updating the task's own {@linkcode RetryState}; the load balancer keeps the
 * queues.
 *
 * @module
 */

import type { ErrorData } from "../protocol/errors.ts";
import type { EngineId, MsgId } from "../protocol/messages.ts";
import { KILLED_LIMIT, killedError } from "./killed_engines.ts";
import { ENGINE_ERROR, IMPOSSIBLE_DEPENDENCY, TASK_LOST, taskError } from "./task_errors.ts";

/** Errors after which a retry is not attempted: the task itself asked to stop. */
export const NOT_RETRIED: ReadonlySet<string> = new Set(["TaskAborted", "TaskTimeout"]);

/** What the load balancer remembers of a task's failures. */
export interface RetryState {
  /** Retries it may still use. */
  retriesLeft: number;
  /** Engines it failed on (or could not be sent to): a retry goes elsewhere. */
  exclude: Set<EngineId>;
  /** Engines that died while running it (see `killed_engines.ts`). */
  killed: EngineId[];
  /** The error of its last failed try. */
  lastError: ErrorData | undefined;
  /** When no engine could take it any more (while waiting for a replacement). */
  blockedSince: number | undefined;
}

/**
 * How a placed task goes on after it ended: `"requeue"` (it did not run: back to the queue, no
 * retry spent), `"retry"` (on another engine, one retry spent) or `"done"`.
 */
export type RetryVerdict = "requeue" | "retry" | "done";

/**
 * Decides how a placed task goes on after it ended on `engineId`. Counts the engine as killed
 * under the task when an {@linkcode ENGINE_ERROR} would otherwise be retried.
 *
 * @param p The task's retry state (its `killed` list may grow).
 * @param engineId Where it ran.
 * @param failed Whether it failed.
 * @param ename Its error's name (`"Error"` when none).
 * @param unstarted It certainly had not started there.
 * @param planned Its engine stopped on purpose (not counted as killed by the task).
 * @returns The verdict.
 */
export function retryVerdict(
  p: RetryState,
  engineId: EngineId,
  failed: boolean,
  ename: string,
  unstarted: boolean,
  planned = false,
): RetryVerdict {
  if (failed && (ename === TASK_LOST || unstarted)) {
    // it never reached the engine, or waited there behind another task: it did not run, so it
    // goes back to the queue (no retry used)
    return "requeue";
  }
  if (
    failed && p.retriesLeft > 0 && !NOT_RETRIED.has(ename) &&
    (ename !== ENGINE_ERROR || planned || p.killed.push(engineId) < KILLED_LIMIT)
  ) {
    return "retry";
  }
  return "done";
}

/**
 * Spends one retry: the task will not go back to `engineId`.
 *
 * @param p The task's retry state.
 * @param engineId Where it failed.
 * @param error Its error.
 */
export function spendRetry(p: RetryState, engineId: EngineId, error: ErrorData | undefined): void {
  p.retriesLeft--;
  p.exclude.add(engineId);
  p.lastError = error;
}

/**
 * Amends the final error of a task whose engine died, to say which engines died under it
 * (see `killed_engines.ts`).
 *
 * @param p The task's retry state.
 * @param engineId Its last engine.
 * @param msgId The task.
 * @param error Its final error (changed in place), if any.
 * @param planned Its last engine stopped on purpose (not counted as killed by the task).
 */
export function amendFinalError(
  p: RetryState,
  engineId: EngineId,
  msgId: MsgId,
  error: ErrorData | undefined,
  planned = false,
): void {
  if (!error || error.ename !== ENGINE_ERROR) return;
  if (!planned && p.killed.at(-1) !== engineId) p.killed.push(engineId);
  Object.assign(error, killedError(error, msgId, p.killed));
}

/**
 * Decides about a queued retry that no engine took this round.
 *
 * @param p The task's retry state (`blockedSince` is updated).
 * @param msgId The task.
 * @param allowed Engines it may run on (`undefined`: any).
 * @param live Engines registered now.
 * @param now The controller's clock.
 * @param replacementWaitMs How long to wait for a replacement of an engine that died.
 * @returns `undefined` while it may still run (an engine it may use is busy, or a replacement
 * may come), else the error to fail it with.
 */
export function stuckRetry(
  p: RetryState,
  msgId: MsgId,
  allowed: Set<EngineId> | undefined,
  live: Set<EngineId>,
  now: number,
  replacementWaitMs: number,
): ErrorData | undefined {
  const candidates = [...(allowed ?? live)].filter((e) => live.has(e) && !p.exclude.has(e));
  if (candidates.length > 0) {
    p.blockedSince = undefined; // busy, not impossible
    return undefined;
  }
  // it failed on every engine there is; if one of those died, a replacement may come
  const maybeReplaced = [...p.exclude].some((e) => !live.has(e));
  p.blockedSince ??= now;
  if (maybeReplaced && now - p.blockedSince < replacementWaitMs) return undefined;
  const last = p.lastError ?? taskError(IMPOSSIBLE_DEPENDENCY, "no engine can take it");
  const why = maybeReplaced
    ? `no other engine came within ${replacementWaitMs} ms`
    : "there is no other engine";
  return killedError(
    {
      ...last,
      evalue: `${last.evalue} (retries stopped: task ${msgId} already failed on ` +
        `engine(s) ${[...p.exclude].join(", ")} and ${why})`,
    },
    msgId,
    p.killed,
  );
}
