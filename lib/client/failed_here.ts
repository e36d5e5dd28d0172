/**
 * {@linkcode failedHere}: the result of a task that failed in this client, not on an engine (it
 * was never sent, its link was lost, its client closed, it could not be fetched).
 *
 * @module
 */

import type { EngineId, MsgId, TaskResult } from "../protocol/messages.ts";

/**
 * A failed result made by the client: no engine ran it, so it has no execution count and no
 * submission or start time; it completed now.
 *
 * @param msgId The task.
 * @param engineId Its engine (-1 when none was chosen).
 * @param ename The error's name.
 * @param evalue What happened and what to do.
 * @returns The result to finish the task with.
 */
export function failedHere(
  msgId: MsgId,
  engineId: EngineId,
  ename: string,
  evalue: string,
): TaskResult {
  return {
    msgId,
    engineId,
    ok: false,
    error: { ename, evalue, stack: "" },
    executionCount: 0,
    submitted: 0,
    started: 0,
    completed: Date.now(),
  };
}
