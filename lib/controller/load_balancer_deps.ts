/**
 * What the `LoadBalancer` needs from the controller, and its options.
 *
 * @module
 */

import type { ErrorData } from "../protocol/errors.ts";
import type { EngineId, Hwm, MsgId, SubmitTask } from "../protocol/messages.ts";

/** What is known of a task the load balancer depends on. */
export type Outcome = { ok: boolean; engineId: EngineId; ename: string | null };

/** What the load balancer needs from the controller. */
export interface LoadBalancerDeps {
  /** Sends a task to an engine; false if the engine is unknown. */
  send(engineId: EngineId, msgId: MsgId, task: SubmitTask): boolean;
  /** Fails a task that will not run. */
  fail(msgId: MsgId, error: ErrorData): void;
  /** Ids of engines that can take tasks now. */
  engines(): Iterable<EngineId>;
  /** Whether an engine is registered at all (it may be away, e.g. not yet back after a restart). */
  registered(id: EngineId): boolean;
  /** A task's outcome, "pending" while unfinished, undefined when unknown. */
  outcome(msgId: MsgId): Outcome | "pending" | undefined;
  /** Current epoch ms. */
  now(): number;
}

/**
 * Default outstanding tasks per engine: automatic (see `auto_hwm.ts`), from 2 for tasks of a
 * millisecond or more to 16 for tiny ones. ipyparallel uses 1 (best balance of uneven tasks);
 * 2 lets an engine have its next task at hand when one finishes, hiding the round trip to the
 * controller, and more hides it for tasks shorter than that round trip.
 * `scripts/hwm_throughput.ts` (2 engines, local socket) measures tiny-task rates and the
 * makespan of uneven tasks for each mark. Views can pass `hwm: 1` for strict balance, `0` for
 * none.
 */
export const DEFAULT_HWM: Hwm = "auto";
/** How long a retry blocked by its own exclusions waits for a new engine. */
export const DEFAULT_REPLACEMENT_WAIT_MS = 3000;

/** Options of `LoadBalancer`. */
export interface LoadBalancerOptions {
  /** High-water mark when a task gives none. @default DEFAULT_HWM */
  hwm?: Hwm;
  /** @default DEFAULT_REPLACEMENT_WAIT_MS */
  replacementWaitMs?: number;
}
