/**
 * {@linkcode AsyncResult}: the handle on a submitted request. Await it for the results (in
 * target order, one per task), or inspect its progress, output and timing while it runs.
 *
 * @module
 */

import { decodeValue } from "../protocol/codec.ts";
import { TimeoutError } from "../protocol/errors.ts";
import type { EngineId, MsgId, TaskResult } from "../protocol/messages.ts";
import { CompositeError, RemoteError } from "./errors.ts";
import type { OutputChunk, TaskHandle } from "./task_handle.ts";

/** What an AsyncResult needs from its client. */
export interface ResultOwner {
  /** Asks the controller to stop the running tasks (and drop queued ones). */
  interrupt(msgIds: MsgId[]): void;
  /** Asks the controller to abort the tasks. */
  abort(msgIds: MsgId[]): void;
}

/** Timing and placement of one task. */
export interface TaskMetadata {
  msgId: MsgId;
  engineId: EngineId;
  /**
   * Epoch ms it was submitted: by this client, or for a task fetched with `getResult`, when
   * the controller received it.
   */
  submitted: number;
  /** Epoch ms it started on the engine. */
  started: number | undefined;
  /** Epoch ms it completed. */
  completed: number | undefined;
  /** Engine execution count after it. */
  executionCount: number | undefined;
  status: "pending" | "ok" | "error";
}

/** One task's outcome, without throwing. */
export type Settled =
  | { ok: true; engineId: EngineId; msgId: MsgId; value: unknown; executionCount: number }
  | { ok: false; engineId: EngineId; msgId: MsgId; error: RemoteError; executionCount: number };

/** Longest delay `setTimeout` takes (about 24.8 days); longer ones would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function checkTimeout(timeoutMs: unknown, method: string): void {
  if (
    timeoutMs === undefined || (typeof timeoutMs === "number" && timeoutMs >= 0)
  ) return;
  throw new RangeError(
    `Invalid timeout for AsyncResult.${method}(): expected a number of ms >= 0, got ${
      typeof timeoutMs === "number" ? timeoutMs : typeof timeoutMs
    }; omit it (or pass Infinity) to wait until the result is ready`,
  );
}

/**
 * A request in flight.
 *
 * @typeParam T What awaiting it gives.
 */
export class AsyncResult<T> implements Promise<T> {
  #owner: ResultOwner;
  #tasks: TaskHandle[];
  #combine: (values: unknown[]) => T;
  #combineEncoded: ((encoded: Uint8Array[]) => T | undefined) | undefined;
  #all: Promise<TaskResult[]>;
  #value: Promise<T> | undefined;
  #completedAt: number | undefined;
  /** A name for display, e.g. `execute`. */
  readonly label: string;

  /**
   * @param owner The client.
   * @param tasks The tasks, in target order.
   * @param combine Builds the final value from the per-task values.
   * @param label Name for display.
   * @param combineEncoded Builds the final value straight from the per-task encoded values when
   *   every task succeeded with one, skipping their decoding; `undefined` from it means "decode
   *   them and use `combine`".
   */
  constructor(
    owner: ResultOwner,
    tasks: TaskHandle[],
    combine: (values: unknown[]) => T,
    label: string,
    combineEncoded?: (encoded: Uint8Array[]) => T | undefined,
  ) {
    this.#owner = owner;
    this.#tasks = tasks;
    this.#combine = combine;
    this.#combineEncoded = combineEncoded;
    this.label = label;
    this.#all = Promise.all(tasks.map((t) => t.done)).then((r) => {
      this.#completedAt = Date.now();
      return r;
    });
  }

  /** Task ids, in target order. */
  get msgIds(): MsgId[] {
    return this.#tasks.map((t) => t.msgId);
  }

  /** Engine of each task (-1 while a load-balanced task is unassigned). */
  get engineIds(): EngineId[] {
    return this.#tasks.map((t) => t.engineId);
  }

  /** Standard output of each task so far. */
  get stdout(): string[] {
    return this.#tasks.map((t) => t.stdout);
  }

  /** Standard error of each task so far. */
  get stderr(): string[] {
    return this.#tasks.map((t) => t.stderr);
  }

  /** True when every task has finished. */
  ready(): boolean {
    return this.#tasks.every((t) => t.result !== undefined);
  }

  /** How many tasks have finished. */
  get progress(): number {
    return this.#tasks.filter((t) => t.result !== undefined).length;
  }

  /** Number of tasks. */
  get length(): number {
    return this.#tasks.length;
  }

  /**
   * Milliseconds from submission to completion (or to now, while running). For tasks fetched
   * with `getResult`, from the controller's submission to completion times.
   */
  get elapsedMs(): number {
    const start = Math.min(...this.#tasks.map((t) => t.submittedAt));
    const fetchedDone = this.#tasks.every((t) => t.fetched && t.result !== undefined);
    const end = fetchedDone
      ? Math.max(...this.#tasks.map((t) => t.result!.completed))
      : this.#completedAt ?? Date.now();
    return end - start;
  }

  /** Per-task metadata. */
  get metadata(): TaskMetadata[] {
    return this.#tasks.map((t) => ({
      msgId: t.msgId,
      engineId: t.engineId,
      submitted: t.submittedAt,
      started: t.result?.started ?? t.startedAt,
      completed: t.result?.completed,
      executionCount: t.result?.executionCount,
      status: t.result === undefined ? "pending" : t.result.ok ? "ok" : "error",
    }));
  }

  /**
   * Waits until every task finished or the time runs out.
   *
   * @param timeoutMs How long to wait, in ms (>= 0; `Infinity` or omitted: forever). Unlike
   *   ipyparallel, `-1` does not mean forever: a negative or NaN timeout is refused.
   * @returns Whether everything finished.
   * @throws {RangeError} When `timeoutMs` is negative, NaN or not a number.
   */
  async wait(timeoutMs?: number): Promise<boolean> {
    checkTimeout(timeoutMs, "wait");
    if (this.ready()) return true;
    if (timeoutMs === undefined || timeoutMs === Infinity) {
      await this.#all;
      return true;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) =>
      timer = setTimeout(() => resolve(false), Math.min(timeoutMs, MAX_TIMER_MS))
    );
    try {
      return await Promise.race([this.#all.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Each task's outcome, in target order, without throwing. */
  async settled(): Promise<Settled[]> {
    const results = await this.#all;
    return results.map((r, i) => {
      const t = this.#tasks[i]!;
      if (r.ok) {
        return {
          ok: true,
          engineId: r.engineId,
          msgId: t.msgId,
          value: r.value === undefined ? undefined : decodeValue(r.value),
          executionCount: r.executionCount,
        };
      }
      const data = r.error ?? { ename: "Error", evalue: "unknown", stack: "" };
      // a failure reported by this client (never sent, or the link is gone) still names the
      // engine the task was for, when it was for one
      const engineId = data.engineId ?? (r.engineId >= 0 ? r.engineId : undefined);
      return {
        ok: false,
        engineId: r.engineId,
        msgId: t.msgId,
        error: RemoteError.from(
          engineId === data.engineId ? data : { ...data, engineId },
          t.msgId,
        ),
        executionCount: r.executionCount,
      };
    });
  }

  /**
   * The final value; throws {@linkcode RemoteError} (one task) or {@linkcode CompositeError}
   * (several tasks) if any task failed, or {@linkcode TimeoutError} after `timeoutMs`.
   *
   * @param timeoutMs How long to wait, in ms (>= 0; `Infinity` or omitted: forever). Unlike
   *   ipyparallel, `-1` does not mean forever: a negative or NaN timeout is refused.
   * @throws {RangeError} At once, when `timeoutMs` is negative, NaN or not a number.
   */
  async get(timeoutMs?: number): Promise<T> {
    checkTimeout(timeoutMs, "get");
    if (timeoutMs !== undefined && !(await this.wait(timeoutMs))) {
      throw new TimeoutError(
        `Result not ready after ${timeoutMs} ms (${this.progress}/${this.length} tasks done); ` +
          `wait longer, or call interrupt() to stop it`,
      );
    }
    return this.#final();
  }

  #final(): Promise<T> {
    this.#value ??= this.#all.then((results) => {
      const fast = this.#combineEncoded;
      if (fast !== undefined && results.every((r) => r.ok && r.value instanceof Uint8Array)) {
        const value = fast(results.map((r) => r.value!));
        if (value !== undefined) return value;
      }
      return this.#fromSettled();
    });
    return this.#value;
  }

  #fromSettled(): Promise<T> {
    return this.settled().then((settled) => {
      const errors = settled.filter((s) => !s.ok).map((s) => (s as { error: RemoteError }).error);
      if (errors.length > 0) {
        if (settled.length === 1) throw errors[0];
        throw new CompositeError(errors, settled.length);
      }
      return this.#combine(settled.map((s) => (s as { value: unknown }).value));
    });
  }

  /**
   * Calls `listener` for every output chunk, including those already received.
   *
   * @param listener Receives chunks in arrival order per task.
   * @returns Unsubscribe.
   */
  onOutput(listener: (chunk: OutputChunk) => void): () => void {
    const offs = this.#tasks.map((t) => {
      if (t.stdout) {
        listener({ engineId: t.engineId, msgId: t.msgId, name: "stdout", text: t.stdout });
      }
      if (t.stderr) {
        listener({ engineId: t.engineId, msgId: t.msgId, name: "stderr", text: t.stderr });
      }
      return t.listen(listener);
    });
    return () => offs.forEach((off) => off());
  }

  /** Stops the tasks that are still running (the remote work, not just the wait). */
  interrupt(): void {
    const open = this.#tasks.filter((t) => !t.result).map((t) => t.msgId);
    if (open.length) this.#owner.interrupt(open);
  }

  /** Aborts queued tasks (they fail with TaskAborted) and stops running ones. */
  async abort(): Promise<void> {
    const open = this.#tasks.filter((t) => !t.result).map((t) => t.msgId);
    if (open.length) this.#owner.abort(open);
    await this.#all;
  }

  /** Handles a failure, like `Promise.prototype.catch`. */
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#final().catch(onrejected);
  }

  /** Runs `onfinally` when settled, like `Promise.prototype.finally`. */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.#final().finally(onfinally);
  }

  /** Tag shown by `Object.prototype.toString`. */
  readonly [Symbol.toStringTag] = "AsyncResult";

  /**
   * A one-line description, e.g. `<AsyncResult(execute) on engines 0,1: pending>`, or
   * `: 1/2 done`, `: done`, `: failed`. Also what `Deno.inspect`, `console.log` and the REPL
   * show for it.
   */
  toString(): string {
    const ids = this.engineIds;
    const where = ids.length === 0
      ? "no engines"
      : ids.every((id) => id < 0)
      ? `${ids.length} task${ids.length === 1 ? "" : "s"} (load-balanced, not placed yet)`
      : `engine${ids.length === 1 ? "" : "s"} ${ids.map((id) => id < 0 ? "?" : id).join(",")}`;
    const done = this.progress;
    const state = done < this.length
      ? done === 0 ? "pending" : `${done}/${this.length} done`
      : this.#tasks.some((t) => t.result?.ok === false)
      ? "failed"
      : "done";
    return `<AsyncResult(${this.label}) on ${where}: ${state}>`;
  }

  /** What `Deno.inspect` (and so the REPL) shows. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  /** What Node's `util.inspect` shows. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** Makes the result awaitable. */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#final().then(onfulfilled, onrejected);
  }
}
