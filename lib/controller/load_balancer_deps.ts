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

/** Options of `LoadBalancer`. */
export interface LoadBalancerOptions {
  /** High-water mark when a task gives none. @default DEFAULT_HWM */
  hwm?: Hwm;
  /** @default DEFAULT_REPLACEMENT_WAIT_MS */
  replacementWaitMs?: number;
}
