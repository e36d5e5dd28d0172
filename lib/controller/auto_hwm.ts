/**
 * The automatic high-water mark (`hwm: "auto"`, the default): how many load-balanced tasks one
 * engine may hold, chosen from how long recent tasks ran.
 *
 * A fixed mark trades throughput against balance. With 1 or 2, an engine finishing a tiny task
 * waits a controller round trip (~0.3–1 ms here) for the next one, so tasks of 50 µs run at a
 * fraction of the rate the engines could sustain; with a large mark, tasks queue on engines and
 * a long task holds up every task behind it. The automatic mark keeps about
 * {@linkcode AUTO_QUEUE_MS} of expected work queued per engine behind the running task:
 *
 *     mark = 1 + AUTO_QUEUE_MS / (average run time), rounded down to a power of two,
 *            clamped to [AUTO_HWM_MIN, AUTO_HWM_MAX]
 *
 * so tiny tasks get a mark of 16 (the round trip is hidden) while tasks of a millisecond or more
 * get 2, ipx's fixed default before (one task waits at the engine). Whatever the mark, the
 * expected work queued behind a task on one engine stays within about AUTO_QUEUE_MS beyond that
 * one task, so a long task among short ones delays the whole map by about that much more than
 * with a mark of 2.
 *
 * The average is exponentially weighted, so a long task raises it at once (a 300 ms task after
 * tiny ones brings the mark to 2 with its result) while a run of short ones lowers it over a few
 * dozen results. The mark falls at once but rises by at most a doubling per result (2, 4, 8, 16),
 * so one short first task does not fill the engines with what may be long ones. An engine's
 * `started` announcement (a task still running after `STARTED_AFTER_MS`) lowers it before the
 * result comes. When the last task of a batch is back (none placed, none waiting), what comes
 * next is unknown work: the average is forgotten and the mark starts again
 * at {@linkcode AUTO_HWM_START} (one task per engine until a first result says how long tasks
 * are). An engine whose task runs past `STARTED_AFTER_MS` takes no more tasks until it ends
 * (`long_task_holds.ts`). The mark moves in powers of two so that the scheduler, which
 * rebuilds its index when the mark changes, rarely has to.
 *
 * Run times are measured by the engine's code Worker around the task's code (`runMs` of its
 * result), so the engine's own per-task overhead — the hand-over to the Worker, a few hundred
 * µs on a loaded machine — does not count as work. An engine that sends no `runMs` is measured
 * by its whole-millisecond `completed - started`.
 *
 * @example Usage
 * ```ts
 * import { AutoHwm } from "./auto_hwm.ts";
 * import assert from "node:assert/strict";
 *
 * const auto = new AutoHwm();
 * assert.equal(auto.value, 1); // one task per engine until a run time is known
 * for (let i = 0; i < 4; i++) auto.placed();
 * for (let i = 0; i < 4; i++) auto.finished(0.01, true); // tiny tasks: the mark doubles...
 * assert.equal(auto.value, 16); // ...with each result, up to 16
 * auto.finished(300, true); // a 300 ms task: back to 2 at once
 * assert.equal(auto.value, 2);
 * ```
 *
 * @module
 */

/** The automatic mark's lowest value once run times are known (a task waits at the engine: hides one round trip). */
export const AUTO_HWM_MIN = 2;
/**
 * The mark at the start of a batch, before any run time is known: one task per engine, so a
 * task is never placed behind one that may be long (a 50 ms task behind a 1 s one waited for
 * it while another engine was free). The first result takes it to at least
 * {@linkcode AUTO_HWM_MIN}.
 */
export const AUTO_HWM_START = 1;
/** The automatic mark's highest value. */
export const AUTO_HWM_MAX = 16;
/** Expected work, in ms, the automatic mark lets wait on an engine behind its running task. */
export const AUTO_QUEUE_MS = 1;
/** Weight of the newest run time in the average. */
const ALPHA = 0.1;

/**
 * The mark for an average run time.
 *
 * @param avgMs Average run time in ms, `undefined` when nothing ran yet.
 * @returns A power of two in [{@linkcode AUTO_HWM_MIN}, {@linkcode AUTO_HWM_MAX}].
 */
export function markFor(avgMs: number | undefined): number {
  if (avgMs === undefined) return AUTO_HWM_MIN;
  const raw = avgMs <= 0 ? Infinity : 1 + AUTO_QUEUE_MS / avgMs;
  let mark = AUTO_HWM_MIN;
  while (mark * 2 <= raw && mark * 2 <= AUTO_HWM_MAX) mark *= 2;
  return mark;
}

/** The automatic high-water mark of one scheduler (one scheme used by views with no `hwm`). */
export class AutoHwm {
  #avg: number | undefined;
  #value = AUTO_HWM_START;
  #outstanding = 0;

  /** The current mark. */
  get value(): number {
    return this.#value;
  }

  /** The weighted average run time in ms; `undefined` when nothing ran since the last reset. */
  get averageMs(): number | undefined {
    return this.#avg;
  }

  /** A task was placed on an engine. */
  placed(): void {
    this.#outstanding++;
  }

  /**
   * A placed task finished (or was given up).
   *
   * @param runMs How long its code ran, ms; `undefined` when it did not run (its engine died),
   * which counts it off without a run time.
   * @param queued Whether tasks of this scheduler still wait for an engine. When none does and
   * this was the last one out, the batch is over: run times are forgotten and the mark is
   * back at {@linkcode AUTO_HWM_MIN} for whatever comes next.
   * @returns Whether the mark changed.
   */
  finished(runMs: number | undefined, queued: boolean): boolean {
    if (this.#outstanding > 0) this.#outstanding--;
    if (this.#outstanding === 0 && !queued) {
      this.#avg = undefined;
      return this.#set(AUTO_HWM_START);
    }
    if (runMs === undefined || !Number.isFinite(runMs)) return false;
    const ms = Math.max(0, runMs);
    this.#avg = this.#avg === undefined ? ms : this.#avg + ALPHA * (ms - this.#avg);
    // down at once, up by at most a doubling per result (one short first task is no proof)
    return this.#set(Math.min(markFor(this.#avg), Math.max(AUTO_HWM_MIN, this.#value * 2)));
  }

  /**
   * A placed task is known to have run at least this long (the engine announced it), before
   * its result: the average is raised to it at once, so a batch of long tasks after tiny ones
   * lowers the mark while its first tasks still run.
   *
   * @param ms The time it has run at least.
   * @returns Whether the mark changed.
   */
  runningFor(ms: number): boolean {
    if (!Number.isFinite(ms) || ms <= (this.#avg ?? 0)) return false;
    this.#avg = ms;
    return this.#set(markFor(this.#avg));
  }

  #set(mark: number): boolean {
    if (mark === this.#value) return false;
    this.#value = mark;
    return true;
  }
}
