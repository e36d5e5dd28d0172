/**
 * Load-balanced task queue: holds unassigned tasks, resolves `after`/`follow` dependencies,
 * asks a pluggable {@linkcode Scheduler} for an engine below its high-water mark, and retries
 * failed tasks on a different engine.
 *
 * One scheduler exists per distinct (scheme, hwm) pair that views use; each counts the tasks
 * it placed.
 *
 * @module
 */

import type { ErrorData } from "../protocol/errors.ts";
import type { EngineId, MsgId, SubmitTask, TaskResult } from "../protocol/messages.ts";
import { createScheduler, type Scheduler, type SchemeName } from "./scheduler.ts";

/** Default outstanding tasks per engine for a load-balanced view. */
export const DEFAULT_HWM = 2;
/** Default scheduling scheme. */
export const DEFAULT_SCHEME: SchemeName = "leastload";
const SCHEMES: readonly string[] = ["leastload", "lru", "random", "twobin", "weighted"];

/** What the load balancer needs from the controller. */
export interface LoadBalancerDeps {
  /** Sends a task to an engine; false if the engine is gone. */
  send(engineId: EngineId, msgId: MsgId, task: SubmitTask): boolean;
  /** Fails a task that can never run. */
  fail(msgId: MsgId, error: ErrorData): void;
  /** Live engine ids. */
  engines(): Iterable<EngineId>;
  /** Current epoch ms. */
  now(): number;
}

interface Pending {
  task: SubmitTask;
  key: string;
  retriesLeft: number;
  exclude: Set<EngineId>;
  lastError?: ErrorData;
}

function depError(ename: string, evalue: string): ErrorData {
  return { ename, evalue, stack: "" };
}

/** The load-balanced queue. */
export class LoadBalancer {
  #deps: LoadBalancerDeps;
  #schedulers = new Map<string, Scheduler>();
  #queues = new Map<string, Pending[]>();
  #waiting = new Map<MsgId, Pending>();
  #placed = new Map<MsgId, { pending: Pending; engineId: EngineId }>();
  #outcomes = new Map<MsgId, { ok: boolean; engineId: EngineId }>();
  #pumping = false;

  /** @param deps Controller hooks. */
  constructor(deps: LoadBalancerDeps) {
    this.#deps = deps;
  }

  /** Tasks not yet placed on an engine (queued or waiting on dependencies). */
  get unassigned(): number {
    let n = this.#waiting.size;
    for (const q of this.#queues.values()) n += q.length;
    return n;
  }

  #scheduler(key: string, scheme: SchemeName, hwm: number): Scheduler {
    let s = this.#schedulers.get(key);
    if (!s) {
      s = createScheduler({ scheme, hwm });
      for (const id of this.#deps.engines()) s.add(id);
      this.#schedulers.set(key, s);
      this.#queues.set(key, []);
    }
    return s;
  }

  /**
   * Accepts a new load-balanced task.
   *
   * @param task The submitted task (no engineId).
   */
  submit(task: SubmitTask): void {
    const lb = task.lb ?? {};
    const scheme = (lb.scheme ?? DEFAULT_SCHEME) as SchemeName;
    if (!SCHEMES.includes(scheme)) {
      this.#deps.fail(
        task.msgId,
        depError("ValueError", `unknown scheme "${scheme}"; use one of ${SCHEMES.join(", ")}`),
      );
      return;
    }
    const hwm = lb.hwm ?? DEFAULT_HWM;
    const key = `${scheme}:${hwm}`;
    this.#scheduler(key, scheme, hwm);
    const pending: Pending = {
      task,
      key,
      retriesLeft: Math.max(0, lb.retries ?? 0),
      exclude: new Set(),
    };
    const deps = [...(lb.after ?? []), ...(lb.follow ?? [])];
    for (const dep of deps) {
      if (!this.#outcomes.has(dep) && !this.#known(dep)) {
        this.#deps.fail(
          task.msgId,
          depError(
            "InvalidDependency",
            `task ${task.msgId} depends on ${dep}, which is not a load-balanced task known to ` +
              `this controller`,
          ),
        );
        return;
      }
    }
    if (this.#ready(pending)) this.#queues.get(key)!.push(pending);
    this.pump();
  }

  #known(msgId: MsgId): boolean {
    if (this.#placed.has(msgId) || this.#waiting.has(msgId)) return true;
    for (const q of this.#queues.values()) if (q.some((p) => p.task.msgId === msgId)) return true;
    return false;
  }

  /** Checks dependencies: true = runnable now; false = parked or failed. */
  #ready(p: Pending): boolean {
    const lb = p.task.lb ?? {};
    for (const dep of [...(lb.after ?? []), ...(lb.follow ?? [])]) {
      const out = this.#outcomes.get(dep);
      if (!out) {
        this.#waiting.set(p.task.msgId, p);
        return false;
      }
      if (!out.ok) {
        this.#deps.fail(
          p.task.msgId,
          depError("DependencyError", `task ${p.task.msgId} cannot run: dependency ${dep} failed`),
        );
        return false;
      }
    }
    this.#waiting.delete(p.task.msgId);
    return true;
  }

  #allowed(p: Pending): Set<EngineId> | undefined {
    const lb = p.task.lb ?? {};
    let allowed: Set<EngineId> | undefined = lb.targets ? new Set(lb.targets) : undefined;
    if (lb.follow?.length) {
      const where = new Set(lb.follow.map((d) => this.#outcomes.get(d)!.engineId));
      allowed = allowed ? new Set([...allowed].filter((e) => where.has(e))) : where;
    }
    return allowed;
  }

  /** Places as many queued tasks as the schedulers allow. */
  pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      const live = new Set(this.#deps.engines());
      for (const [key, queue] of this.#queues) {
        const scheduler = this.#schedulers.get(key)!;
        let i = 0;
        while (i < queue.length) {
          const p = queue[i]!;
          const allowed = this.#allowed(p);
          const filtered = allowed !== undefined || p.exclude.size > 0;
          const engineId = scheduler.acquire(
            filtered ? { ...(allowed ? { allowed } : {}), exclude: p.exclude } : undefined,
          );
          if (engineId === undefined) {
            if (this.#impossible(p, allowed, live)) {
              queue.splice(i, 1);
              continue;
            }
            if (!filtered) break; // every engine is at its high-water mark
            i++;
            continue;
          }
          queue.splice(i, 1);
          this.#placed.set(p.task.msgId, { pending: p, engineId });
          if (!this.#deps.send(engineId, p.task.msgId, p.task)) {
            this.#placed.delete(p.task.msgId);
            scheduler.release(engineId);
            p.exclude.add(engineId);
            queue.splice(i, 0, p);
          }
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  #impossible(p: Pending, allowed: Set<EngineId> | undefined, live: Set<EngineId>): boolean {
    if (live.size === 0) return false; // wait for engines to come
    const candidates = [...(allowed ?? live)].filter((e) => live.has(e) && !p.exclude.has(e));
    if (candidates.length > 0) return false;
    if (p.lastError) {
      this.#deps.fail(p.task.msgId, p.lastError);
    } else {
      this.#deps.fail(
        p.task.msgId,
        depError(
          "ImpossibleDependency",
          `task ${p.task.msgId} cannot run: none of its allowed engines ` +
            `(${[...(allowed ?? [])].join(",") || "any"}) is alive`,
        ),
      );
    }
    return true;
  }

  /**
   * A placed task finished on its engine. Returns true when it was re-queued for a retry
   * (so its result must not be reported yet).
   *
   * @param engineId Where it ran.
   * @param msgId The task.
   * @param result Its outcome.
   */
  taskFinished(engineId: EngineId, msgId: MsgId, result: TaskResult): boolean {
    const placed = this.#placed.get(msgId);
    if (!placed) return false;
    this.#placed.delete(msgId);
    this.#schedulers.get(placed.pending.key)?.release(engineId);
    const p = placed.pending;
    const ename = result.error?.ename;
    if (!result.ok && p.retriesLeft > 0 && ename !== "TaskAborted" && ename !== "TaskTimeout") {
      p.retriesLeft--;
      p.exclude.add(engineId);
      if (result.error) p.lastError = result.error;
      this.#queues.get(p.key)!.unshift(p);
      queueMicrotask(() => this.pump());
      return true;
    }
    queueMicrotask(() => this.pump());
    return false;
  }

  /**
   * A placed task's engine died. Returns true when the task was re-queued.
   *
   * @param engineId The dead engine.
   * @param msgId The task.
   * @param error The EngineError.
   */
  engineFailed(engineId: EngineId, msgId: MsgId, error: ErrorData): boolean {
    const now = this.#deps.now();
    return this.taskFinished(engineId, msgId, {
      msgId,
      engineId,
      ok: false,
      error,
      executionCount: 0,
      submitted: now,
      started: now,
      completed: now,
    });
  }

  /**
   * Records any task's final outcome, to release dependants.
   *
   * @param result The final result.
   */
  resultKnown(result: TaskResult): void {
    this.#outcomes.set(result.msgId, { ok: result.ok, engineId: result.engineId });
    if (this.#outcomes.size > 200_000) {
      const first = this.#outcomes.keys().next().value;
      if (first !== undefined) this.#outcomes.delete(first);
    }
    if (this.#waiting.size === 0) return;
    for (const p of [...this.#waiting.values()]) {
      if (this.#ready(p)) this.#queues.get(p.key)!.push(p);
    }
    this.pump();
  }

  /** @param id A new engine. */
  engineAdded(id: EngineId): void {
    for (const s of this.#schedulers.values()) s.add(id);
    this.pump();
  }

  /** @param id An engine that is gone. */
  engineRemoved(id: EngineId): void {
    for (const s of this.#schedulers.values()) if (s.has(id)) s.remove(id);
    this.pump();
  }

  /**
   * Removes queued or waiting tasks; returns the ids it removed (running ones are not).
   *
   * @param msgIds Tasks to abort.
   */
  abort(msgIds: MsgId[]): MsgId[] {
    const want = new Set(msgIds);
    const removed: MsgId[] = [];
    for (const [key, q] of this.#queues) {
      this.#queues.set(
        key,
        q.filter((p) => {
          if (!want.has(p.task.msgId)) return true;
          removed.push(p.task.msgId);
          return false;
        }),
      );
    }
    for (const id of want) {
      if (this.#waiting.delete(id)) removed.push(id);
    }
    return removed;
  }

  /** Periodic hook (reserved for queue-level timeouts). */
  tick(_now: number): void {
    this.pump();
  }

  /** Drops all state. */
  close(): void {
    this.#queues.clear();
    this.#waiting.clear();
  }
}
