/**
 * Checks a load-balanced task's options when it is submitted: scheme, high-water mark, retries
 * and dependencies. Pure: the load balancer passes what it knows of other tasks.
 *
 * @module
 */

import type { ErrorData } from "../protocol/errors.ts";
import type { Hwm, MsgId, SubmitTask } from "../protocol/messages.ts";
import type { Outcome } from "./load_balancer_deps.ts";
import { DEFAULT_SCHEME, SCHEME_NAMES, type SchemeName } from "./scheduler.ts";
import { failedDependency, INVALID_DEPENDENCY, taskError } from "./task_errors.ts";

/** A submission's options, checked and with defaults filled in. */
export interface CheckedSubmission {
  /** Scheduling scheme. */
  scheme: SchemeName;
  /** High-water mark. */
  hwm: Hwm;
  /** Retries left. */
  retries: number;
  /** Ids of the tasks it waits for (`after` and `follow`, without repeats). */
  deps: MsgId[];
}

/**
 * Checks a submitted task's load-balancing options.
 *
 * @param task The submitted task.
 * @param defaultHwm The controller's mark, for tasks that give none.
 * @param outcome What is known of another task: "pending" while it runs, undefined if unknown.
 * @returns The checked options, or the error to fail the task with.
 */
export function checkSubmission(
  task: SubmitTask,
  defaultHwm: Hwm,
  outcome: (msgId: MsgId) => Outcome | "pending" | undefined,
): CheckedSubmission | { error: ErrorData } {
  const lb = task.lb ?? {};
  const scheme = (lb.scheme ?? DEFAULT_SCHEME) as SchemeName;
  if (!SCHEME_NAMES.includes(scheme)) {
    const names = SCHEME_NAMES.join(", ");
    return { error: taskError("ValueError", `unknown scheme "${scheme}"; use one of ${names}`) };
  }
  const hwm = lb.hwm ?? defaultHwm;
  if (hwm !== "auto" && (!Number.isSafeInteger(hwm) || hwm < 0)) {
    return { error: taskError("ValueError", `hwm must be an integer >= 0 or "auto", got ${hwm}`) };
  }
  const retries = lb.retries ?? 0;
  if (!Number.isSafeInteger(retries) || retries < 0) {
    return { error: taskError("ValueError", `retries must be an integer >= 0, got ${retries}`) };
  }
  const deps = [...new Set([...(lb.after ?? []), ...(lb.follow ?? [])])];
  for (const dep of deps) {
    if (typeof dep !== "string" || dep === task.msgId) {
      const what = dep === task.msgId ? "itself" : String(dep);
      return {
        error: taskError(
          INVALID_DEPENDENCY,
          `task ${task.msgId} cannot depend on ${what}: dependencies are ids of other tasks`,
        ),
      };
    }
    const o = outcome(dep);
    if (o === undefined) {
      return {
        error: taskError(
          INVALID_DEPENDENCY,
          `task ${task.msgId} depends on ${dep}, which the controller does not know ` +
            `(never submitted, purged, or culled)`,
        ),
      };
    }
    if (o !== "pending" && !o.ok) return { error: failedDependency(task.msgId, dep, o.ename) };
  }
  return { scheme, hwm, retries, deps };
}
