/**
 * The failures the controller itself reports for tasks (as error data, `ename` + `evalue`),
 * in one place so their names and wording stay consistent. Clients rebuild them as classes
 * of the same name (`EngineError`, `TaskLost`, `ImpossibleDependency`…).
 *
 * @module
 */

import type { ErrorData } from "../protocol/errors.ts";
import type { EngineId, MsgId, TaskResult } from "../protocol/messages.ts";

/** The engine holding a task died or lost it. */
export const ENGINE_ERROR = "EngineError";
/** The controller lost a task (restart before it was placed). */
export const TASK_LOST = "TaskLost";
/** A task's dependencies can never be met. */
export const IMPOSSIBLE_DEPENDENCY = "ImpossibleDependency";
/** A task names dependencies that do not exist. */
export const INVALID_DEPENDENCY = "InvalidDependency";

/**
 * Error data for a task failure.
 *
 * @param ename Error name.
 * @param evalue What happened.
 * @param engineId The engine concerned, if any.
 */
export function taskError(ename: string, evalue: string, engineId?: EngineId): ErrorData {
  return { ename, evalue, stack: "", ...(engineId === undefined ? {} : { engineId }) };
}

/**
 * A dependency finished with an error.
 *
 * @param msgId The waiting task.
 * @param dep The failed dependency.
 * @param ename Its error name.
 */
export function failedDependency(msgId: MsgId, dep: MsgId, ename: string | null): ErrorData {
  return taskError(
    IMPOSSIBLE_DEPENDENCY,
    `task ${msgId} cannot run: its dependency ${dep} failed (${ename ?? "error"})`,
  );
}

/**
 * The engines a task may use are gone for good (ids are never reused).
 *
 * @param msgId The task.
 * @param allowed Engines it may use.
 * @param follow Whether they come from `follow` dependencies (else from `targets`).
 */
export function noEngineFor(msgId: MsgId, allowed: Iterable<EngineId>, follow: boolean): ErrorData {
  const list = [...allowed].join(", ");
  const why = follow
    ? `the engine(s) its follow dependencies ran on (${list}) are gone`
    : `none of its target engines (${list}) is registered`;
  return taskError(
    IMPOSSIBLE_DEPENDENCY,
    `task ${msgId} cannot run: ${why}; engine ids are never reused`,
  );
}

/**
 * A task found unfinished after a controller restart that cannot finish: it was never placed
 * (queued requests are not kept), or its engine did not come back.
 *
 * @param msgId The task.
 * @param engineId The engine it was placed on, or null.
 */
export function lostInRestart(msgId: MsgId, engineId: EngineId | null): ErrorData {
  return engineId === null
    ? taskError(
      TASK_LOST,
      `task ${msgId} was waiting for an engine when the controller stopped; queued requests ` +
        `are not kept across restarts, so submit it again`,
    )
    : taskError(
      ENGINE_ERROR,
      `engine ${engineId}, which held task ${msgId}, did not come back after the controller ` +
        `restarted, so whether the task ran there is unknown; check its effects before ` +
        `submitting it again`,
      engineId,
    );
}

/**
 * The result of a task that failed without running (or whose run is unknown).
 *
 * @param msgId The task.
 * @param error Why.
 * @param engineId The engine concerned, `-1` for none.
 * @param times When it was submitted and started (default: `completed`), and completed.
 */
export function failedResult(
  msgId: MsgId,
  error: ErrorData,
  engineId: EngineId,
  times: { submitted?: number | null; started?: number | null; completed: number },
): TaskResult {
  const { completed } = times;
  return {
    msgId,
    engineId,
    ok: false,
    error,
    executionCount: 0,
    submitted: times.submitted ?? completed,
    started: times.started ?? completed,
    completed,
  };
}

/**
 * The failure of a submission whose id is taken.
 *
 * @param msgId The id.
 */
export function idInUse(msgId: MsgId): ErrorData {
  return taskError("ValueError", `task id ${msgId} is already in use; every task needs a new id`);
}

/** A client's task or query the controller refused as malformed. */
export const PROTOCOL_ERROR = "ProtocolError";

/**
 * The failure of a task or query the controller refused as malformed: nothing ran.
 *
 * @param reason What is wrong with it (from `validate.ts`).
 */
export function refusedError(reason: string): ErrorData {
  return taskError(
    PROTOCOL_ERROR,
    `the controller refused it as malformed, so nothing ran: ${reason}. The views of mod.ts ` +
      `check what they send, so this came from other code building messages, or is a bug in ` +
      `ipx (please report it with the message above)`,
  );
}
