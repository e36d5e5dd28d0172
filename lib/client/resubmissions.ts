/**
 * Which of its tasks a client submits again, under the same id, after a failure it can mend:
 *
 * - lost before it ran (`TaskLost`, or unknown to a controller that restarted): the controller
 *   restarted with the task still queued, the submission was on a connection that died, or the
 *   engine never received it. Only while the task was not seen running (no started, output or
 *   result), at most {@linkcode RESUBMITS} times;
 * - `retriable` (an engine died with a load-balanced task after the controller restarted, so
 *   the controller no longer had the task to retry): only for tasks submitted with `retries`,
 *   spending one each time.
 *
 * @module
 */

import type { ErrorData } from "../protocol/errors.ts";
import type { MsgId, SubmitTask } from "../protocol/messages.ts";

/**
 * How often one task lost before it ran is submitted again before its loss is reported: each
 * time needs a real loss (a controller restart, a dropped link), so this only stops a loop; a
 * task queued through several controller restarts in a row is submitted again after each.
 */
export const RESUBMITS = 100;

/** A client's tasks that may be submitted again. */
export class Resubmissions {
  /** Submitted tasks not yet seen running. */
  #unplaced = new Map<MsgId, SubmitTask>();
  /** How often each was submitted again after a loss. */
  #times = new Map<MsgId, number>();
  /** Load-balanced tasks submitted with `retries`, with the retries left here. */
  #retrying = new Map<MsgId, { spec: SubmitTask; left: number }>();

  /**
   * A task was submitted.
   *
   * @param task The task as sent.
   */
  submitted(task: SubmitTask): void {
    this.#unplaced.set(task.msgId, task);
    const retries = task.lb?.retries ?? 0;
    if (retries > 0 && task.engineId === undefined) {
      this.#retrying.set(task.msgId, { spec: task, left: retries });
    }
  }

  /**
   * The task was seen running (started, or output): it can no longer be lost before it ran.
   *
   * @param msgId The task.
   */
  ran(msgId: MsgId): void {
    this.#unplaced.delete(msgId);
  }

  /**
   * The task finished: nothing to keep.
   *
   * @param msgId The task.
   */
  done(msgId: MsgId): void {
    this.#unplaced.delete(msgId);
    this.#times.delete(msgId);
    this.#retrying.delete(msgId);
  }

  /**
   * The task to submit again after a failure, if this one can be mended that way.
   *
   * @param msgId The task.
   * @param error Its failure; undefined when the controller does not know the task at all.
   * @returns The task to send (the same id), or undefined.
   */
  again(msgId: MsgId, error: ErrorData | undefined): SubmitTask | undefined {
    if (error === undefined || error.ename === "TaskLost") {
      const spec = this.#unplaced.get(msgId);
      const times = this.#times.get(msgId) ?? 0;
      if (!spec || times >= RESUBMITS) return undefined;
      this.#times.set(msgId, times + 1);
      return spec;
    }
    if (!error.retriable) return undefined;
    const held = this.#retrying.get(msgId);
    if (!held || held.left <= 0) return undefined;
    held.left--;
    return { ...held.spec, lb: { ...held.spec.lb, retries: held.left } };
  }
}
