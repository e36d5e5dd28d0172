/**
 * Sizes of submitted tasks against the controller's frame limit (its `--max-frame-mb`, announced
 * in the handshake): tasks are sent in as many `submit` messages as it takes for each to fit in
 * a frame, and a task too big for any frame fails at once with an error that says so, instead of
 * being sent (a frame over the limit makes the controller drop the connection).
 *
 * @module
 */

import { mib, raiseLimit } from "../protocol/errors.ts";
import type { Op, SubmitTask, TaskResult } from "../protocol/messages.ts";
import { failedHere } from "./failed_here.ts";

/** Room a task needs in a `submit` message beside its payload (id, options, headers). */
export const TASK_ROOM_BYTES = 64 * 1024;

/**
 * Encoded bytes of an op's payload, at most (strings counted as 3 bytes per UTF-16 unit, the
 * most UTF-8 takes).
 *
 * @param op The op.
 * @returns An upper bound of its encoded size, without {@linkcode TASK_ROOM_BYTES}.
 */
export function payloadBytes(op: Op): number {
  switch (op.kind) {
    case "execute":
      return 3 * op.code.length;
    case "apply":
      return 3 * op.fn.length + op.args.byteLength;
    case "push":
      return op.ns.byteLength;
    case "pull":
      return op.names.reduce((sum, n) => sum + 3 * n.length + 8, 0);
    case "clear":
    case "names":
      return 0;
  }
}

/** Tasks split into `submit` messages that fit the limit, and those too big to send. */
export interface SizedTasks {
  /** Each inner list is one `submit` message, in submission order. */
  messages: SubmitTask[][];
  /** Tasks too big for a frame of their own, with their payload size. */
  tooLarge: { task: SubmitTask; bytes: number }[];
}

/**
 * Groups tasks into `submit` messages of at most `limit` bytes each, in order.
 *
 * @param tasks Tasks to send.
 * @param limit The controller's frame limit.
 * @returns The messages, and the tasks that cannot be sent.
 */
export function sizeTasks(tasks: readonly SubmitTask[], limit: number): SizedTasks {
  const messages: SubmitTask[][] = [];
  const tooLarge: SizedTasks["tooLarge"] = [];
  let group: SubmitTask[] = [];
  let groupBytes = 0;
  for (const task of tasks) {
    const bytes = payloadBytes(task.op);
    const need = bytes + TASK_ROOM_BYTES;
    if (need > limit) {
      tooLarge.push({ task, bytes });
      continue;
    }
    if (group.length > 0 && groupBytes + need > limit) {
      messages.push(group);
      group = [];
      groupBytes = 0;
    }
    group.push(task);
    groupBytes += need;
  }
  if (group.length > 0) messages.push(group);
  return { messages, tooLarge };
}

/**
 * The failed result of a task too big to send, saying what to do.
 *
 * @param task The task.
 * @param bytes Its payload's size.
 * @param limit The controller's frame limit.
 * @returns A result with `ename` `MessageTooLarge`.
 */
export function tooLargeResult(task: SubmitTask, bytes: number, limit: number): TaskResult {
  const what = task.op.kind === "push"
    ? "This push"
    : task.op.kind === "apply"
    ? "This apply (function and arguments)"
    : task.op.kind === "execute"
    ? "This code"
    : `This ${task.op.kind} request`;
  return failedHere(
    task.msgId,
    task.engineId ?? -1,
    "MessageTooLarge",
    `${what} is ${mib(bytes)} encoded, more than the controller accepts in one ` +
      `message (${mib(limit)}, its --max-frame-mb); it was not sent. Send the data in ` +
      `smaller parts: several pushes or scatters of slices, each under ${mib(limit)} per ` +
      `engine${raiseLimit(limit)}`,
  );
}
