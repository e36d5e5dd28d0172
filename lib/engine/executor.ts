/**
 * The engine's code executor: runs user operations one at a time in a sandboxed Worker with a
 * persistent namespace, streams their output, and reports results as encoded bytes (the
 * executor never decodes user values).
 *
 * Choices worth knowing:
 * - Permission failures have `ename` `"NotCapable"` and an `evalue` naming the permission, the
 *   resource and the flag that allows it (see `sandbox.ts`).
 * - Small ops are sent to the Worker a few ahead (`aheadFor`), which runs them in order
 *   without waiting for this thread; `op_slots.ts` says how one is stopped or withdrawn.
 * - The data dir is scanned for symlinks that lead outside the sandbox before each op is sent,
 *   and an op starts at most `FRESH_MS` after its scan (else it is scanned and sent again);
 *   while a link exists, ops fail with `ename` `"SandboxViolation"` and nothing runs. In a data
 *   dir of 200 directories or more, scans are paced (`symlink_pacing.ts`).
 * - Stopping a running op closes the Worker and starts a fresh one, so the namespace is reset
 *   (`reset: true`); the op ends with `ename` `"Interrupted"`. Loops in user code are
 *   instrumented so a spinning Worker notices and closes itself (see `ts_strip.ts`).
 * - A result that is a Promise is awaited before it is sent.
 * - Output written while no operation runs (timers) is delivered to the next operation.
 * - `create()` changes the process's cwd to the data dir (user code's relative paths land
 *   there); `close()` changes it back. Use one executor per process.
 *
 * @module
 */

import { decodeValue, encodeValue } from "../protocol/codec.ts";
import type { ErrorData } from "../protocol/errors.ts";
import {
  resolvePolicy,
  type SandboxPolicy,
  type SymlinkEscape,
  SymlinkScanner,
} from "./sandbox.ts";
import { PacedScan } from "./symlink_pacing.ts";
import { SPARE_MIN_BYTES } from "./spare_buffers.ts";
import { type SourcePreparer, stripper } from "./stripper.ts";
import {
  CodeWorker,
  type Skipped,
  type StreamCallback,
  type WorkerOutcome,
} from "./code_worker.ts";
import { FRESH_MS } from "./op_slots.ts";
import {
  ExecutorClosedError,
  type ExecutorOptions,
  ExecutorStartError,
  type Op,
  type RunOptions,
  type RunOutcome,
  type StopResult,
} from "./executor_types.ts";
import {
  aheadFor,
  checked,
  deliver,
  IdleOutput,
  interrupted,
  type Item,
  lostPayload,
  restoreCwd,
  runOutcome,
  withdrawn,
  withPayload,
  workerStartFailure,
} from "./executor_ops.ts";

export type { StreamName } from "./console_capture.ts";
export type { ExecutorOptions, Op, RunOptions, RunOutcome, StopResult } from "./executor_types.ts";
export { ExecutorClosedError, ExecutorStartError } from "./executor_types.ts";
export type { StreamCallback } from "./code_worker.ts";

const UNDEFINED = encodeValue(undefined);
const STOP_WAIT_MS = 500;
const NOT_STARTED: StopResult = { started: false, reset: false, clean: true };
const ALREADY_STARTED: StopResult = { started: true, reset: false, clean: true };

/** Runs user code in a persistent, sandboxed namespace; see the module doc. */
export class Executor implements AsyncDisposable {
  #policy: SandboxPolicy;
  #symlinks: PacedScan<SymlinkEscape>;
  #engineId: number | undefined;
  #previousCwd: string;
  #worker: Promise<CodeWorker> | null = null;
  /** Buffers of big results, by the Worker that made them, until handed back (`recycle`). */
  #madeBy = new WeakMap<ArrayBufferLike, CodeWorker>();
  /** Ops not sent to a Worker yet, in order. */
  #queue: Item[] = [];
  /** Ops sent to a Worker and not answered yet, in order. */
  #sent: Item[] = [];
  /** The op the pump is preparing (still `#queue[0]`), if it waits for the Worker to start. */
  #preparing: Item | undefined;
  #items = new WeakMap<Promise<RunOutcome>, Item>();
  #epoch = 1;
  #lastRunMs = Infinity;
  #pumping = false;
  #closed = false;
  #count = 0;
  #idle = new IdleOutput();

  #spareIdleMs: number | undefined;
  #sources: SourcePreparer;

  private constructor(policy: SandboxPolicy, options: ExecutorOptions, cwd: string) {
    const engineId = options.engineId;
    this.#spareIdleMs = options.spareIdleMs;
    this.#sources = options.sources ?? stripper;
    this.#policy = policy;
    this.#symlinks = new PacedScan(new SymlinkScanner(policy));
    this.#engineId = engineId;
    this.#previousCwd = cwd;
  }

  /**
   * Validates the sandbox, changes the cwd to the data dir, starts the Worker, then loads the
   * source preparation (`options.sources`) while it boots: ops that need it wait for it.
   *
   * @param options Data dir, extra permissions and engine id.
   * @returns A ready executor.
   * @throws {SandboxConfigError} for an unusable data dir or path.
   * @throws {ExecutorStartError} if the Worker does not start.
   */
  static async create(options: ExecutorOptions): Promise<Executor> {
    const policy = await resolvePolicy(options);
    const cwd = Deno.cwd();
    Deno.chdir(policy.dataDir);
    const executor = new Executor(policy, options, cwd);
    try {
      const spawned = executor.#spawn(); // first: loading sucrase holds this thread ~40 ms
      void executor.#sources.load();
      await spawned;
    } catch (error) {
      restoreCwd(policy.dataDir, cwd);
      throw new ExecutorStartError(
        `Cannot start the code worker${executor.#on()}: ${
          error instanceof Error ? error.message : String(error)
        }; run the engine with --unstable-worker-options, --allow-sys and read access to the ` +
          `ipx sources`,
        { cause: error },
      );
    }
    return executor;
  }

  /**
   * Queues an operation; operations run one at a time, in the order given. Small ones are
   * handed to the Worker a few ahead (see {@linkcode MAX_AHEAD}); each is still checked for
   * symlinks no more than `FRESH_MS` before it starts (`op_slots.ts`).
   *
   * @param op What to run.
   * @param onStream Receives the op's stdout/stderr while it runs.
   * @param options See {@linkcode RunOptions}.
   * @returns The outcome; never rejects for failures of user code. Pass this promise to
   * {@linkcode stop} to stop or withdraw the op.
   * @throws {ExecutorClosedError} after {@linkcode close}.
   */
  run(op: Op, onStream?: StreamCallback, options: RunOptions = {}): Promise<RunOutcome> {
    if (this.#closed) {
      return Promise.reject(
        new ExecutorClosedError(`Cannot run ${op.kind}${this.#on()}: the executor is closed`),
      );
    }
    const { promise, resolve } = Promise.withResolvers<RunOutcome>();
    const item: Item = {
      op,
      onStream,
      exclusive: options.exclusive ?? false,
      onStart: options.onStart,
      resolve,
      settled: false,
    };
    this.#items.set(promise, item);
    this.#queue.push(item);
    void this.#pump();
    return promise;
  }

  /**
   * Stops one op: withdrawn if it has not started (its `run()` resolves with `withdrawn` and
   * `ename` `"Withdrawn"`; it never runs), interrupted if it runs (as {@linkcode interrupt}:
   * the Worker is replaced, the namespace reset, `ename` `"Interrupted"`), left alone if it
   * already ended. Ops after it run as usual.
   *
   * @param run What {@linkcode run} returned for the op.
   * @returns What was done.
   */
  stop(run: Promise<RunOutcome>): Promise<StopResult> {
    const item = this.#items.get(run);
    if (item === undefined || item.settled) return Promise.resolve(ALREADY_STARTED);
    return this.#stopItem(item);
  }

  /**
   * Stops the op running now, even `while (true) {}` (or withdraws the first one waiting): as
   * {@linkcode stop}, with `ename` `"Interrupted"`. Queued ops still run. Resolves within
   * about 0.5 s. `clean` is false when the old Worker did not confirm it stopped: it spins in
   * code without interrupt checks (from `eval`, `new Function` or an imported module), which
   * Deno cannot stop (denoland/deno PR #35657), so the engine should restart its process.
   *
   * @returns `reset`: whether the namespace was reset; `clean`: whether nothing is left running.
   */
  async interrupt(): Promise<{ reset: boolean; clean: boolean }> {
    const head = this.#sent.find((i) => !i.settled) ?? this.#preparing;
    if (head === undefined) return { reset: false, clean: true };
    const worker = head.worker;
    // the op running now, if any, else the first one waiting for the Worker
    const running = worker === undefined || worker.dead ? 0 : worker.holdRunning();
    worker?.release();
    const target = this.#sent.find((i) => i.worker === worker && i.id === running) ?? head;
    const { reset, clean } = await this.#stopItem(target, "Interrupted");
    return { reset, clean };
  }

  /**
   * Lists the names defined in the user namespace (for tab completion); queued like any op.
   *
   * @returns Sorted names: top-level `let`/`const`/`class`/`function`/`var` and globals user
   * code added; empty if the executor is closed or the op failed.
   */
  async names(): Promise<string[]> {
    if (this.#closed) return [];
    const outcome = await this.run({ kind: "names" });
    return outcome.ok ? decodeValue(outcome.value) as string[] : [];
  }

  /**
   * The engine has written a result whose value this executor returned: a big value's buffer
   * goes back to the Worker that encoded it, to encode its next big result into
   * (`spare_buffers.ts`). The value must not be used afterwards (its buffer moves). Values
   * this executor did not return, small ones, and those of a stopped Worker are left alone.
   *
   * @param value A result value {@linkcode run} returned.
   */
  recycle(value: Uint8Array): void {
    const worker = this.#madeBy.get(value.buffer);
    if (worker === undefined) return;
    this.#madeBy.delete(value.buffer);
    worker.giveBack(value.buffer as ArrayBuffer);
  }

  /** Stops the Worker, fails queued ops and restores the cwd. Never hangs. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    const stopped: ErrorData = {
      ename: "ExecutorClosed",
      evalue: `the engine stopped before the operation finished${this.#on()}; run it again ` +
        `on another engine`,
      stack: "",
    };
    for (const item of [...this.#sent.splice(0), ...this.#queue.splice(0)]) {
      this.#settle(item, { ok: false, error: stopped });
    }
    const worker = this.#worker;
    this.#worker = null;
    void worker?.then((w) => w.stop(), () => {});
    restoreCwd(this.#policy.dataDir, this.#previousCwd);
    return Promise.resolve();
  }

  /** The engine id named in error messages; set it once the controller assigns one. */
  get engineId(): number | undefined {
    return this.#engineId;
  }
  set engineId(id: number | undefined) {
    this.#engineId = id;
  }

  /**
   * Resolves once the output passed to the ops' stream callbacks so far has left the process;
   * the code Worker's output waits on it when too much is outstanding. The engine sets it to
   * its connection's; by default output is gone once handed over.
   */
  outputWritten: () => Promise<void> = () => Promise.resolve();

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #on(): string {
    return this.#engineId === undefined ? "" : ` on engine ${this.#engineId}`;
  }

  #spawn(): Promise<CodeWorker> {
    const worker = CodeWorker.start(this.#policy, this.#engineId, this.#spareIdleMs, {
      idle: (name, text) => this.#idle.keep(name, text),
      crashed: () => {
        if (this.#worker === worker) this.#worker = null;
        void this.#pump();
      },
      written: () => this.outputWritten(),
    });
    this.#worker = worker;
    worker.catch(() => {}); // observed by whoever awaits it
    return worker;
  }

  /** Starts a fresh Worker and returns the old one, which the caller must stop. */
  #replaceWorker(): Promise<CodeWorker> | null {
    const old = this.#worker;
    this.#idle.clear();
    this.#spawn();
    return old;
  }

  /** Marks an op started (first in line) and tells its caller. */
  #start(item: Item): void {
    if (item.startedAt !== undefined) return;
    item.startedAt = Date.now();
    for (const [name, text] of this.#idle.take()) deliver(item.onStream, name, text);
    try {
      item.onStart?.(item.startedAt);
    } catch {
      // the caller's bookkeeping must not break the queue
    }
  }

  /** Answers an op (once), numbering `execute`s as they end. */
  #settle(item: Item, outcome: WorkerOutcome, withdrawn = false): void {
    if (item.settled) return;
    item.settled = true;
    if (item.op.kind === "execute" && !withdrawn) this.#count++;
    item.resolve(runOutcome(item, outcome, {
      executionCount: this.#count,
      withdrawn,
      policy: this.#policy,
      engineId: this.#engineId,
    }));
  }

  /** Answers the op first in the queue without sending it (it failed before reaching the Worker). */
  #failFirst(error: ErrorData): void {
    const item = this.#queue.shift()!;
    this.#start(item);
    this.#settle(item, { ok: false, error });
  }

  /** Sends queued ops to the Worker, as many ahead as allowed, in order. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const item = this.#queue[0]!;
        if (item.lent !== undefined) break; // its payload is on its way back
        const busy = this.#sent.length > 0;
        if (busy && this.#sent.length >= aheadFor(this.#lastRunMs)) break;
        if (item.op.kind === "clear" && busy) break; // it replaces the Worker: once idle
        if ((item.op.kind === "execute" || item.op.kind === "apply") && !this.#sources.settled) {
          await this.#sources.load(); // engine processes load it at start; others on first use
          continue;
        }
        const escapes = this.#symlinks.check();
        const checkedAt = Date.now();
        const { op, failure } = checked(item.op, escapes, this.#policy, this.#sources);
        if (failure !== undefined) {
          if (busy) break; // answered in its turn, checked again then
          this.#failFirst(failure);
          continue;
        }
        if (item.op.kind === "clear") {
          this.#queue.shift();
          this.#start(item);
          void this.#replaceWorker()?.then((w) => w.stop(), () => {});
          await this.#worker?.catch(() => {});
          this.#settle(item, { ok: true, value: UNDEFINED });
          continue;
        }
        let worker: CodeWorker;
        this.#preparing = item;
        try {
          worker = await (this.#worker ?? this.#spawn());
        } catch (error) {
          if (this.#queue[0] !== item) continue;
          const reason = error instanceof Error ? error.message : String(error);
          this.#failFirst(workerStartFailure(reason, this.#on()));
          continue;
        } finally {
          this.#preparing = undefined;
        }
        if (worker.dead) {
          // it crashed or was replaced while this op waited: use the next one
          if (this.#worker !== null && (await this.#worker.catch(() => null)) === worker) {
            this.#worker = null;
          }
          continue;
        }
        // while the Worker started, the op may have been stopped, or others sent
        if (this.#queue[0] !== item || this.#closed) continue;
        if (this.#sent.some((i) => i.worker !== worker)) break; // answers of an old Worker first
        if (Date.now() - checkedAt > FRESH_MS / 2) continue; // check again
        this.#queue.shift();
        item.worker = worker;
        this.#sent.push(item);
        const first = this.#sent.length === 1;
        if (first) this.#start(item);
        // a payload is moved (not copied) only into an idle Worker: an op sent behind others
        // may be recalled, and a Worker being replaced would take the payload with it
        const { id, moved } = worker.send(
          op!,
          (name, text) => deliver(item.onStream, name, text),
          (outcome) => this.#answered(item, worker, id, outcome),
          { exclusive: item.exclusive && first, epoch: this.#epoch, checkedAt },
        );
        item.id = id;
        if (moved) item.lent = worker;
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** A Worker answered an op: settle it, or send it again if it was skipped. */
  #answered(item: Item, worker: CodeWorker, id: number, outcome: WorkerOutcome | Skipped): void {
    if ("ok" in outcome && outcome.ok && outcome.value.byteLength > SPARE_MIN_BYTES) {
      this.#madeBy.set(outcome.value.buffer, worker);
    }
    let restored = false;
    if (item.lent === worker) {
      item.lent = undefined;
      if ("skipped" in outcome && outcome.payload !== undefined) {
        item.op = withPayload(item.op, outcome.payload);
        restored = true;
      } else if ("skipped" in outcome || !this.#sent.includes(item)) {
        // the payload is gone with the Worker: it cannot run
        this.#queue = this.#queue.filter((i) => i !== item);
        this.#sent = this.#sent.filter((i) => i !== item);
        this.#start(item);
        this.#settle(item, "skipped" in outcome ? lostPayload(this.#on()) : outcome);
        void this.#pump();
        return;
      }
    }
    if (item.settled || item.worker !== worker || item.id !== id || this.#sent[0] !== item) {
      // recalled or stopped meanwhile: already handled (a recalled op may now be sent again)
      if (restored) void this.#pump();
      return;
    }
    if ("skipped" in outcome) {
      // the Worker skips the ops behind a skipped one too: take them all back, in order
      this.#recall(worker);
    } else {
      this.#sent.shift();
      if (outcome.runMs !== undefined) this.#lastRunMs = outcome.runMs;
      this.#settle(item, outcome);
      const next = this.#sent[0];
      if (next !== undefined) this.#start(next); // the Worker went straight on to it
    }
    void this.#pump();
  }

  /**
   * Takes back every op sent to `worker` that has not started: the Worker will skip them, and
   * they go back to the front of the queue. Returns the id of the op running, if any.
   */
  #recall(worker: CodeWorker): number {
    const running = worker.holdRunning();
    worker.recall(this.#epoch);
    this.#epoch++;
    const last = worker.lastStarted();
    const back = this.#sent.filter((i) => i.worker === worker && i.id! > last);
    this.#sent = this.#sent.filter((i) => !back.includes(i));
    worker.release();
    for (const i of back) i.worker = i.id = undefined;
    this.#queue.unshift(...back);
    return running;
  }

  async #stopItem(item: Item, ename = "Withdrawn"): Promise<StopResult> {
    if (this.#withdrawQueued(item, ename)) return NOT_STARTED;
    const worker = item.worker;
    if (worker === undefined || !this.#sent.includes(item)) return ALREADY_STARTED;
    const running = this.#recall(worker);
    if (this.#withdrawQueued(item, ename)) {
      void this.#pump(); // it had not started; the rest is sent again
      return NOT_STARTED;
    }
    if (running !== item.id) return ALREADY_STARTED; // it ended; its answer is on the way
    // it runs: replace the Worker (ops the old one finished are still answered by it)
    this.#sent.splice(this.#sent.indexOf(item), 1);
    this.#replaceWorker();
    this.#settle(item, interrupted(this.#on()));
    void this.#pump();
    return { started: true, reset: true, clean: await worker.stop(STOP_WAIT_MS) };
  }

  /** Takes `item` out of the queue for good, if it is there, and answers it. */
  #withdrawQueued(item: Item, ename: string): boolean {
    const at = this.#queue.indexOf(item);
    if (at < 0) return false;
    this.#queue.splice(at, 1);
    this.#settle(item, withdrawn(ename, this.#on()), true);
    return true;
  }
}
