/**
 * The result messages an engine sends for its jobs: what ran (renamed when the engine stopped
 * it: timeout, interrupt, abort) and what was stopped before it started.
 *
 * @module
 */

import { mib, raiseLimit } from "../protocol/errors.ts";
import type { EngineToController, MsgId } from "../protocol/messages.ts";
import type { RunOutcome } from "./executor.ts";

/** Why the engine stopped a job: the error it reports (`{id}` stands for the task id). */
export interface JobStop {
  /** The error name, e.g. `TaskTimeout`. */
  ename: string;
  /** The message; `{id}` is replaced by the task id. */
  evalue: string;
}

type ResultMessage = Extract<EngineToController, { type: "result" }>;

/** Room a result message needs in a frame beside its value (id, times, headers). */
export const RESULT_ROOM_BYTES = 64 * 1024;

/**
 * The result as it can be sent: one whose value would not fit in a frame the controller accepts
 * (its `--max-frame-mb`) becomes a `ResultTooLarge` failure saying so (a frame over the limit
 * makes the controller drop the connection, and the value would be lost anyway).
 *
 * @param msg A result.
 * @param limit The controller's frame limit.
 * @returns `msg`, or the failure that replaces it.
 */
export function fitResult(msg: ResultMessage, limit: number): ResultMessage {
  if (!msg.ok || msg.value === undefined || msg.value.byteLength + RESULT_ROOM_BYTES <= limit) {
    return msg;
  }
  return resultTooLarge(msg, msg.value.byteLength, limit);
}

/**
 * The failure sent instead of a result too large to send (small whatever the original held).
 *
 * @param msg The result.
 * @param bytes Its encoded size (of the value, or of the whole message).
 * @param limit The controller's frame limit.
 * @returns A `ResultTooLarge` failure of the same task.
 */
export function resultTooLarge(msg: ResultMessage, bytes: number, limit: number): ResultMessage {
  const { value: _value, error: _error, ok: _ok, ...rest } = msg;
  return {
    ...rest,
    ok: false,
    error: {
      ename: "ResultTooLarge",
      evalue: `The result of task ${msg.msgId} is ${mib(bytes)} encoded, more than the ` +
        `controller accepts in one message (${mib(limit)}, its --max-frame-mb); it was not ` +
        `sent (the value stays on the engine if it was assigned to a name). Return it in ` +
        `smaller parts (pull or apply on slices), or reduce it on the engine first` +
        raiseLimit(limit),
      stack: "",
    },
  };
}

/**
 * The result of a job that ran (or was stopped while running).
 *
 * @param msgId The task.
 * @param outcome What the executor reported.
 * @param stop Why the engine stopped it, if it did: a failure then carries this name and message
 * (plus a word on the namespace when stopping it reset that).
 */
export function ranResult(msgId: MsgId, outcome: RunOutcome, stop?: JobStop): ResultMessage {
  const base = {
    type: "result" as const,
    msgId,
    executionCount: outcome.executionCount,
    started: outcome.startedAt,
    completed: outcome.completedAt,
    ...(outcome.runMs !== undefined ? { runMs: outcome.runMs } : {}),
  };
  if (outcome.ok) return { ...base, ok: true, value: outcome.value };
  if (stop === undefined) return { ...base, ok: false, error: outcome.error };
  return {
    ...base,
    ok: false,
    error: {
      ...outcome.error,
      ename: stop.ename,
      // keep the executor's word on the namespace: stopping running code restarts the
      // sandbox, and the user must know their names are gone
      evalue: stop.evalue.replace("{id}", msgId) +
        (/namespace is empty again/.test(outcome.error.evalue)
          ? "; the engine's namespace was reset"
          : ""),
    },
  };
}

/**
 * The result of a job stopped before it started. An interrupt of a job still in the engine's
 * queue reads `TaskAborted`; one of a job already handed to the executor (the engine's next, as
 * far as the user can tell) stays `Interrupted`, as before jobs were handed over ahead.
 *
 * @param msgId The task.
 * @param stop Why.
 * @param handed Whether the job had been handed to the executor.
 */
export function notStartedResult(msgId: MsgId, stop: JobStop, handed = false): ResultMessage {
  const now = Date.now();
  return {
    type: "result",
    msgId,
    ok: false,
    error: {
      ename: stop.ename === "Interrupted" && !handed ? "TaskAborted" : stop.ename,
      evalue: `${stop.evalue} before it started`.replace("{id}", msgId),
      stack: "",
    },
    executionCount: 0,
    started: now,
    completed: now,
  };
}
