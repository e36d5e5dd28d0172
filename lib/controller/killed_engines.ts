/**
 * Tasks that kill their engines. A load-balanced task whose engine dies while running it is
 * retried elsewhere (when it has `retries`), but a task that is itself what kills engines (it
 * runs out of memory, crashes the runtime, or signals its own process) would take one engine
 * after another, and every namespace with it. Like Dask's `KilledWorker`, a task that was
 * running on {@linkcode KILLED_LIMIT} engines when each of them died is not retried again,
 * whatever retries it has left, and its error says it may be the cause.
 *
 * @module
 */

import type { EngineId, MsgId } from "../protocol/messages.ts";
import type { ErrorData } from "../protocol/errors.ts";

/** Engine deaths under one task after which it is no longer retried. */
export const KILLED_LIMIT = 3;

/**
 * The error of a task that is not retried any more, saying which engines died while it ran
 * on them (unchanged when fewer than two did: one death says nothing about the task).
 *
 * @param error The last engine's error.
 * @param msgId The task.
 * @param killed Engines that died while running it, in order.
 * @returns The error to fail the task with.
 */
export function killedError(error: ErrorData, msgId: MsgId, killed: EngineId[]): ErrorData {
  if (killed.length < 2) return error;
  const stopped = killed.length >= KILLED_LIMIT ? ", so it is not retried again" : "";
  return {
    ...error,
    evalue: `${error.evalue}; task ${msgId} was running on engines ${killed.join(", ")} when ` +
      `each of them died: the task itself may be what kills them (memory, a crash, a signal ` +
      `to its own process)${stopped}`,
  };
}
