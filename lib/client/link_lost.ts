/**
 * What a client's tasks become when it lost the controller and could not reconnect in time:
 * a `ConnectionError` result saying whether the task may still finish on its engine (and how
 * to fetch it later) or never left this client.
 *
 * @module
 */

import type { EngineId, MsgId, TaskResult } from "../protocol/messages.ts";

/**
 * The failed result of a task whose client gave up reconnecting.
 *
 * @param msgId The task.
 * @param engineId Its engine (-1 when none was chosen).
 * @param lost What happened to the link (one sentence, no final period).
 * @param unsent Whether the task was submitted while the link was down (it never left).
 * @param refused The error when the controller is back but refuses this client (e.g. a new
 *   key): the result carries its name, and says a new client, made from the controller's
 *   current connection file, can fetch the task.
 * @returns The result to finish the task with.
 */
export function linkLostResult(
  msgId: MsgId,
  engineId: EngineId,
  lost: string,
  unsent: boolean,
  refused?: Error,
): TaskResult {
  return {
    msgId,
    engineId,
    ok: false,
    error: {
      ename: refused?.name ?? "ConnectionError",
      evalue: unsent
        ? `${lost}. Task ${msgId} was never sent (the controller was already gone): ` +
          (refused
            ? `submit it again from a new client, made from the controller's current file`
            : `start the controller again and submit it again`)
        : refused
        ? `${lost}. Task ${msgId} may still finish on its engine: fetch it with ` +
          `getResult("${msgId}") from a new client, made from the controller's current file`
        : `${lost}. Task ${msgId} may still finish on its engine: start the controller again ` +
          `on this profile (engines re-attach by themselves), then fetch it with ` +
          `getResult("${msgId}") from a new client`,
      stack: "",
    },
    executionCount: 0,
    submitted: 0,
    started: 0,
    completed: Date.now(),
  };
}
