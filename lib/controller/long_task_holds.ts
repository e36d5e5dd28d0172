/**
 * Engines busy with a long task take no more tasks of an automatic mark until it ends.
 *
 * The automatic mark (`auto_hwm.ts`) queues a little work on each engine behind its running
 * task, which hides the controller round trip for short tasks. Behind a long task that is only
 * waiting: a 50 ms task placed behind a 1 s one finishes after a second while another engine
 * may sit idle. Once an engine announces that its task is still running after
 * `STARTED_AFTER_MS`, the load balancer fills that engine's free places in the scheduler with
 * holds, so new tasks go to other engines or wait in the controller for whichever engine frees
 * up first; the holds go when that task ends (or the engine goes). Tasks placed before the
 * announcement stay where they are (they may be running by now).
 *
 * @module
 */

import type { EngineId, MsgId } from "../protocol/messages.ts";
import type { Scheduler } from "./scheduler.ts";

/** Most places one engine is held for (a guard: automatic marks are at most 16). */
const MAX_HOLDS = 64;

/** The held engines of one scheduler. */
export class LongTaskHolds {
  #held = new Map<EngineId, { msgId: MsgId; places: number }>();
  #scheduler: Scheduler;

  /** @param scheduler The scheduler whose places are held (one with an automatic mark). */
  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  /** Engines held now. */
  get engines(): EngineId[] {
    return [...this.#held.keys()];
  }

  /**
   * `msgId` runs long on `engineId`: the engine takes no more tasks until it ends.
   *
   * @param engineId The engine.
   * @param msgId Its long task.
   */
  hold(engineId: EngineId, msgId: MsgId): void {
    if (this.#held.has(engineId)) return;
    this.#held.set(engineId, { msgId, places: 0 });
    this.#fill(engineId);
  }

  /**
   * A task ended on an engine: when it is the long one, its engine's places are free again.
   *
   * @param engineId The engine.
   * @param msgId The task that ended.
   */
  ended(engineId: EngineId, msgId: MsgId): void {
    const h = this.#held.get(engineId);
    if (!h || h.msgId !== msgId) return;
    this.#held.delete(engineId);
    for (let i = 0; i < h.places; i++) this.#scheduler.release(engineId);
  }

  /** The mark changed: places a higher mark opened on held engines are held too. */
  refill(): void {
    for (const id of this.#held.keys()) this.#fill(id);
  }

  /** @param engineId An engine that is gone (the scheduler forgot its load). */
  removed(engineId: EngineId): void {
    this.#held.delete(engineId);
  }

  #fill(engineId: EngineId): void {
    const h = this.#held.get(engineId)!;
    const only = new Set([engineId]);
    while (h.places < MAX_HOLDS && this.#scheduler.acquire({ allowed: only }) === engineId) {
      h.places++;
    }
  }
}
