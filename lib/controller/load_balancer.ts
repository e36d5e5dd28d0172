/**
 * The load-balanced task queue: holds unassigned tasks, resolves `after`/`follow`
 * dependencies, asks a pluggable {@linkcode Scheduler} for an engine below its high-water mark,
 * and retries failed tasks on a *different* engine.
 *
 * Layout, chosen so that placing a task never scans the whole queue:
 * - one scheduler per (scheme, hwm) pair that views use; each counts the tasks it placed;
 * - one FIFO per (scheme, hwm, targets): every task in it accepts the same engines, so when
 *   its head cannot be placed, none behind it can either;
 * - a small "special" set for tasks whose engines depend on the task itself (retries that
 *   exclude engines they failed on, `follow` dependencies); these are checked one by one;
 * - tasks waiting on dependencies are indexed by the task they wait for.
 *
 * Errors (as data, `ename`): `InvalidDependency` (unknown or self dependency),
 * `ImpossibleDependency` (a dependency failed, `follow` tasks ran on different or dead engines,
 * no allowed engine exists), `ValueError` (bad option). A retry that already failed on every
 * engine there is fails at once with its last error, unless one of those engines died: then it
 * waits `replacementWaitMs` for a new engine (a supervisor may be starting one); those rules live
 * in `lb_retry.ts`.
 *
 * @module
 */

import type { ErrorData } from "../protocol/errors.ts";
import {
  type EngineId,
  type Hwm,
  type MsgId,
  STARTED_AFTER_MS,
  type SubmitTask,
  type TaskResult,
} from "../protocol/messages.ts";
import { Fifo } from "./fifo.ts";
import {
  DEFAULT_HWM,
  DEFAULT_REPLACEMENT_WAIT_MS,
  type LoadBalancerDeps,
  type LoadBalancerOptions,
  type Outcome,
} from "./load_balancer_deps.ts";
import { failedDependency, IMPOSSIBLE_DEPENDENCY, noEngineFor, taskError } from "./task_errors.ts";
import {
  amendFinalError,
  type RetryState,
  retryVerdict,
  spendRetry,
  stuckRetry,
} from "./lb_retry.ts";
import { createScheduler, type Scheduler, type SchemeName } from "./scheduler.ts";
import { checkSubmission } from "./lb_submission.ts";
import { AutoHwm } from "./auto_hwm.ts";
import { LongTaskHolds } from "./long_task_holds.ts";

export { DEFAULT_HWM, DEFAULT_REPLACEMENT_WAIT_MS } from "./load_balancer_deps.ts";
export type { LoadBalancerDeps, LoadBalancerOptions, Outcome } from "./load_balancer_deps.ts";

type State = "waiting" | "queued" | "placed" | "done";

interface Pending extends RetryState {
  task: SubmitTask;
  /** Scheduler key. */
  key: string;
  /** Queue key (scheduler key + targets). */
  qkey: string;
  targets: Set<EngineId> | undefined;
  state: State;
  engineId: EngineId | undefined;
  unmet: number;
  /** Engines allowed by `follow` (set once dependencies are met). */
  followAt: Set<EngineId> | undefined;
}

interface Queue {
  key: string;
  allowed: Set<EngineId> | undefined;
  fifo: Fifo<Pending>;
}

const err = taskError;

/** The load-balanced queue. */
export class LoadBalancer {
  #deps: LoadBalancerDeps;
  #hwm: Hwm;
  #replacementWaitMs: number;
  #schedulers = new Map<string, Scheduler>();
  /** The automatic marks of schedulers with `hwm: "auto"`, by scheduler key. */
  #auto = new Map<string, AutoHwm>();
  /** Engines of an automatic mark held while they run a long task (`long_task_holds.ts`). */
  #holds = new Map<string, LongTaskHolds>();
  #queues = new Map<string, Queue>();
  #special = new Set<Pending>();
  #tasks = new Map<MsgId, Pending>();
  #waiters = new Map<MsgId, Set<Pending>>();
  #unassigned = 0;
  #pumping = false;
  #again = false;
  #pumpQueued = false;

  /**
   * @param deps Controller hooks.
   * @param options Default high-water mark and the replacement wait.
   */
  constructor(deps: LoadBalancerDeps, options: LoadBalancerOptions = {}) {
    this.#deps = deps;
    this.#hwm = options.hwm ?? DEFAULT_HWM;
    this.#replacementWaitMs = options.replacementWaitMs ?? DEFAULT_REPLACEMENT_WAIT_MS;
  }

  /**
   * @param msgId A task id.
   * @returns Whether the load balancer holds the task (so it can retry it).
   */
  knows(msgId: MsgId): boolean {
    return this.#tasks.has(msgId);
  }

  /** Tasks not yet placed on an engine (queued or waiting on dependencies). */
  get unassigned(): number {
    return this.#unassigned;
  }

  #scheduler(key: string, scheme: SchemeName, hwm: Hwm): Scheduler {
    let s = this.#schedulers.get(key);
    if (!s) {
      let mark: number;
      if (hwm === "auto") {
        const auto = new AutoHwm();
        this.#auto.set(key, auto);
        mark = auto.value;
      } else mark = hwm;
      s = createScheduler({ scheme, hwm: mark });
      for (const id of this.#deps.engines()) s.add(id);
      this.#schedulers.set(key, s);
      if (hwm === "auto") this.#holds.set(key, new LongTaskHolds(s));
    }
    return s;
  }

  #reject(msgId: MsgId, error: ErrorData): void {
    this.#deps.fail(msgId, error);
  }

  /**
   * Accepts a new load-balanced task.
   *
   * @param task The submitted task (no engineId).
   */
  submit(task: SubmitTask): void {
    const checked = checkSubmission(task, this.#hwm, (id) => this.#deps.outcome(id));
    if ("error" in checked) return this.#reject(task.msgId, checked.error);
    const { scheme, hwm, retries, deps } = checked;
    const lb = task.lb ?? {};
    const key = `${scheme}:${hwm}`;
    this.#scheduler(key, scheme, hwm);
    const targets = lb.targets ? new Set(lb.targets) : undefined;
    const p: Pending = {
      task,
      key,
      qkey: targets ? `${key}:${[...targets].sort((a, b) => a - b).join(",")}` : key,
      targets,
      retriesLeft: retries,
      exclude: new Set(),
      killed: [],
      lastError: undefined,
      blockedSince: undefined,
      state: "waiting",
      engineId: undefined,
      unmet: 0,
      followAt: undefined,
    };
    this.#tasks.set(task.msgId, p);
    this.#unassigned++;
    for (const dep of deps) {
      if (this.#deps.outcome(dep) !== "pending") continue;
      p.unmet++;
      let set = this.#waiters.get(dep);
      if (!set) this.#waiters.set(dep, set = new Set());
      set.add(p);
    }
    if (p.unmet === 0) this.#enqueue(p);
    this.#schedulePump();
  }

  /** Moves a task whose dependencies are met into a queue (or fails it if it cannot run). */
  #enqueue(p: Pending): void {
    const follow = p.task.lb?.follow;
    if (follow?.length) {
      const at = new Set<EngineId>();
      for (const dep of follow) {
        const o = this.#deps.outcome(dep);
        if (o && o !== "pending") at.add(o.engineId);
      }
      if (at.size > 1) {
        return this.#drop(
          p,
          err(
            IMPOSSIBLE_DEPENDENCY,
            `task ${p.task.msgId} cannot run: it follows tasks that ran on different engines ` +
              `(${[...at].join(", ")}), and one task runs on one engine`,
          ),
        );
      }
      p.followAt = p.targets ? new Set([...at].filter((e) => p.targets!.has(e))) : at;
    }
    p.state = "queued";
    if (p.followAt || p.exclude.size > 0) {
      this.#special.add(p);
      return;
    }
    let q = this.#queues.get(p.qkey);
    if (!q) {
      q = { key: p.key, allowed: p.targets, fifo: new Fifo() };
      this.#queues.set(p.qkey, q);
    }
    q.fifo.push(p);
  }

  /** Fails a task that is not placed. */
  #drop(p: Pending, error: ErrorData): void {
    if (p.state === "done") return;
    if (p.state !== "placed") this.#unassigned--;
    p.state = "done";
    this.#tasks.delete(p.task.msgId);
    this.#special.delete(p);
    this.#reject(p.task.msgId, error);
  }

  #schedulePump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      this.pump();
    });
  }

  /** Places as many queued tasks as the schedulers allow. */
  pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        this.#pumpOnce();
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
  }

  #pumpOnce(): void {
    let known: Set<EngineId> | undefined;
    const engines = () => known ??= new Set(this.#deps.engines());
    for (const [qkey, q] of this.#queues) {
      const scheduler = this.#schedulers.get(q.key)!;
      const filter = q.allowed ? { allowed: q.allowed } : undefined;
      while (q.fifo.length > 0) {
        const p = q.fifo.peek()!;
        if (p.state !== "queued") {
          q.fifo.shift();
          continue;
        }
        const engineId = scheduler.acquire(filter);
        if (engineId === undefined) {
          if (q.allowed && ![...q.allowed].some((e) => this.#deps.registered(e))) {
            for (const x of [...q.fifo]) {
              this.#drop(x, noEngineFor(x.task.msgId, q.allowed, false));
            }
            q.fifo = new Fifo();
          }
          break;
        }
        q.fifo.shift();
        this.#place(p, scheduler, engineId);
      }
      if (q.fifo.length === 0) this.#queues.delete(qkey);
    }
    const now = this.#deps.now();
    for (const p of [...this.#special]) {
      if (p.state !== "queued") {
        this.#special.delete(p);
        continue;
      }
      const scheduler = this.#schedulers.get(p.key)!;
      const allowed = p.followAt ?? p.targets;
      const engineId = scheduler.acquire({
        ...(allowed ? { allowed } : {}),
        exclude: p.exclude,
      });
      if (engineId !== undefined) {
        this.#special.delete(p);
        this.#place(p, scheduler, engineId);
        continue;
      }
      const live = engines();
      if (allowed && ![...allowed].some((e) => this.#deps.registered(e))) {
        this.#drop(p, noEngineFor(p.task.msgId, allowed, p.followAt !== undefined));
        continue;
      }
      const stuck = stuckRetry(p, p.task.msgId, allowed, live, now, this.#replacementWaitMs);
      if (stuck) this.#drop(p, stuck);
    }
  }

  #place(p: Pending, scheduler: Scheduler, engineId: EngineId): void {
    p.state = "placed";
    p.engineId = engineId;
    p.blockedSince = undefined;
    this.#unassigned--;
    const auto = this.#auto.get(p.key);
    auto?.placed();
    if (!this.#deps.send(engineId, p.task.msgId, p.task)) {
      auto?.finished(undefined, true); // it goes back to the queue
      scheduler.release(engineId);
      p.exclude.add(engineId);
      p.state = "queued";
      p.engineId = undefined;
      this.#unassigned++;
      this.#special.add(p);
    }
  }

  /**
   * A placed task finished on its engine. Returns true when it was re-queued for a retry on
   * another engine (so its result must not be reported yet).
   *
   * @param engineId Where it ran.
   * @param msgId The task.
   * @param result Its outcome.
   * @param runMs How long its code ran, as the engine measured it; `completed - started` (whole
   * ms, including the engine's hand-over to its code Worker) when not given.
   */
  taskFinished(engineId: EngineId, msgId: MsgId, result: TaskResult, runMs?: number): boolean {
    const ran = runMs ?? result.completed - result.started;
    return this.#finished(engineId, msgId, !result.ok, result.error, ran);
  }

  /** A placed task's end; `runMs` when it ran. */
  #finished(
    engineId: EngineId,
    msgId: MsgId,
    failed: boolean,
    error: ErrorData | undefined,
    runMs: number | undefined,
    unstarted = false,
    planned = false,
  ): boolean {
    const p = this.#tasks.get(msgId);
    if (!p || p.state !== "placed" || p.engineId !== engineId) return false;
    const scheduler = this.#schedulers.get(p.key);
    scheduler?.release(engineId);
    this.#holds.get(p.key)?.ended(engineId, msgId);
    this.#schedulePump();
    const ename = error?.ename ?? "Error";
    const verdict = retryVerdict(p, engineId, failed, ename, unstarted, planned);
    const retried = verdict !== "done";
    if (verdict === "requeue") {
      // it did not run (see `lb_retry.ts`): back to the queue, no retry used
      p.engineId = undefined;
      this.#unassigned++;
      this.#enqueue(p);
    } else if (verdict === "retry") {
      spendRetry(p, engineId, error);
      p.engineId = undefined;
      p.state = "queued";
      this.#unassigned++;
      this.#special.add(p);
    } else {
      p.state = "done";
      this.#tasks.delete(msgId);
      amendFinalError(p, engineId, msgId, error, planned);
    }
    const auto = this.#auto.get(p.key);
    if (auto?.finished(runMs, this.#waiting(p.key))) this.#setMark(p.key, auto.value);
    return retried;
  }

  /** Whether tasks of a scheduler wait for an engine. */
  #waiting(key: string): boolean {
    for (const q of this.#queues.values()) if (q.key === key && q.fifo.length > 0) return true;
    for (const p of this.#special) if (p.key === key && p.state === "queued") return true;
    return false;
  }

  /**
   * A placed task is still running after {@linkcode STARTED_AFTER_MS} (its engine announced it):
   * an automatic mark falls at once, before the result, and that engine takes no more tasks of
   * the mark until this one ends (`long_task_holds.ts`).
   *
   * @param engineId Where it runs.
   * @param msgId The task.
   */
  taskRunning(engineId: EngineId, msgId: MsgId): void {
    const p = this.#tasks.get(msgId);
    if (!p || p.state !== "placed" || p.engineId !== engineId) return;
    const auto = this.#auto.get(p.key);
    if (auto?.runningFor(STARTED_AFTER_MS)) this.#setMark(p.key, auto.value);
    this.#holds.get(p.key)?.hold(engineId, msgId); // nothing more waits behind it there
  }

  /** Sets a scheduler's automatic mark; held engines stay full. */
  #setMark(key: string, mark: number): void {
    this.#schedulers.get(key)?.setHwm(mark);
    this.#holds.get(key)?.refill();
  }

  /**
   * A placed task's engine died. Returns true when the task was re-queued.
   *
   * @param engineId The dead engine.
   * @param msgId The task.
   * @param error The EngineError.
   * @param unstarted It certainly had not started there: re-queued, no retry spent.
   *   When the task is not retried and engines died under it before, `error` is amended to say
   *   so (see `killed_engines.ts`).
   * @param planned The engine stopped on purpose: not counted as killed by the task.
   */
  engineFailed(
    engineId: EngineId,
    msgId: MsgId,
    error: ErrorData,
    unstarted = false,
    planned = false,
  ): boolean {
    return this.#finished(engineId, msgId, true, error, undefined, unstarted, planned); // no run time
  }

  /**
   * Records any task's final outcome, to release (or fail) the tasks that depend on it.
   *
   * @param msgId The finished task.
   * @param outcome How it ended.
   */
  resultKnown(msgId: MsgId, outcome: Outcome): void {
    const waiting = this.#waiters.get(msgId);
    if (!waiting) return;
    this.#waiters.delete(msgId);
    for (const p of waiting) {
      if (p.state !== "waiting") continue;
      if (!outcome.ok) {
        this.#drop(p, failedDependency(p.task.msgId, msgId, outcome.ename));
        continue;
      }
      if (--p.unmet === 0) this.#enqueue(p);
    }
    this.#schedulePump();
  }

  /** @param id A new engine. */
  engineAdded(id: EngineId): void {
    for (const s of this.#schedulers.values()) if (!s.has(id)) s.add(id);
    this.#schedulePump();
  }

  /** @param id An engine that is gone. */
  engineRemoved(id: EngineId): void {
    for (const s of this.#schedulers.values()) s.remove(id);
    for (const h of this.#holds.values()) h.removed(id);
    this.#schedulePump();
  }

  /**
   * Removes tasks not yet placed on an engine; returns the ids it removed (placed ones are
   * the caller's to stop).
   *
   * @param msgIds Tasks to abort.
   */
  abort(msgIds: MsgId[]): MsgId[] {
    const removed: MsgId[] = [];
    for (const id of msgIds) {
      const p = this.#tasks.get(id);
      if (!p || (p.state !== "waiting" && p.state !== "queued")) continue;
      p.state = "done";
      this.#unassigned--;
      this.#tasks.delete(id);
      this.#special.delete(p);
      removed.push(id);
    }
    return removed;
  }

  /** Periodic hook: re-checks retries waiting for a replacement engine. */
  tick(): void {
    if (this.#special.size > 0) this.pump();
  }

  /** Drops all state. */
  close(): void {
    this.#queues.clear();
    this.#special.clear();
    this.#tasks.clear();
    this.#waiters.clear();
    this.#unassigned = 0;
  }
}
