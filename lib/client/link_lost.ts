/**
 * What a client's tasks become when it lost the controller and could not reconnect in time, or
 * when the controller came back but refuses it:
 * a `ConnectionError` result saying whether the task may still finish on its engine (and how
 * to fetch it later) or never left this client.
 *
 * @module
 */

import { AuthenticationError, ConnectionError } from "../protocol/errors.ts";
import type { EngineId, MsgId, TaskResult } from "../protocol/messages.ts";
import { failedHere } from "./failed_here.ts";

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
  return failedHere(
    msgId,
    engineId,
    refused?.name ?? "ConnectionError",
    unsent
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
  );
}

/**
 * The failed result of a task the controller no longer knew after a reconnect (e.g. it
 * restarted without its record).
 *
 * @param msgId The task.
 * @param engineId Its engine (-1 when none was chosen).
 * @param missing The controller's word on why.
 * @returns A `TaskLost` result.
 */
export function lostWhileDownResult(
  msgId: MsgId,
  engineId: EngineId,
  missing: string,
): TaskResult {
  return failedHere(
    msgId,
    engineId,
    "TaskLost",
    `task ${msgId} was lost while the connection was down: ${missing}`,
  );
}

/**
 * How long a controller that is back must keep refusing this client (its key, version or
 * transport) before the client gives up: a controller restarted with a new key listens a moment
 * before it rewrites its connection file, which the client re-reads on every attempt.
 */
export const REFUSED_GRACE_MS = 2000;

/**
 * The error a client's tasks and calls get when the controller came back but refuses it.
 *
 * @param cause The refusal.
 * @returns An {@linkcode AuthenticationError} for a key or pin refusal, else a
 *   {@linkcode ConnectionError}, saying the controller is back and what to do.
 */
export function refusedError(cause: Error): Error {
  const message = `Lost the controller; it is back but refuses this client: ${cause.message}`;
  return cause instanceof AuthenticationError
    ? new AuthenticationError(message, { cause })
    : new ConnectionError(message, { cause });
}

/**
 * The failed result of a task still open when its client was closed.
 *
 * @param msgId The task.
 * @param engineId Its engine (-1 when none was chosen).
 * @returns The result to finish the task with.
 */
export function closedResult(msgId: MsgId, engineId: EngineId): TaskResult {
  return failedHere(
    msgId,
    engineId,
    "ConnectionError",
    `the client was closed before task ${msgId} finished; it may still complete on its ` +
      `engine: fetch it later with getResult("${msgId}")`,
  );
}
