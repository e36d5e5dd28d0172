/**
 * The engine's code executor: runs user operations one at a time in a sandboxed Worker with a
 * persistent namespace, streams their output, and reports results as encoded bytes (the
 * executor never decodes user values).
 *
 * Choices worth knowing:
 * - Permission failures have `ename` `"NotCapable"` and an `evalue` naming the permission, the
 *   resource and the flag that allows it (see `sandbox.ts`).
 * - Before every operation the data dir is scanned for symlinks that lead outside the sandbox;
 *   while any exists, operations fail with `ename` `"SandboxViolation"` and nothing runs.
 *   A link planted while an operation runs is not seen until the next one. In a data dir of
 *   200 directories or more, scans are paced (see `symlink_pacing.ts`): a link is then seen
 *   within ten scan durations.
 * - `interrupt()` closes the Worker and starts a fresh one, so the namespace is reset
 *   (`reset: true`); the interrupted run ends with `ename` `"Interrupted"`. Loops in user code
 *   are instrumented so a spinning Worker notices and closes itself (see `ts_strip.ts`).
 * - A result that is a Promise is awaited before it is sent.
 * - Output written while no operation runs (timers) is delivered to the next operation.
 * - `create()` changes the process's cwd to the data dir (user code's relative paths land
 *   there); `close()` changes it back. Use one executor per process.
 *
 * @module
 */

import { decodeValue, encodeValue } from "../protocol/codec.ts";
import type { ErrorData } from "../protocol/errors.ts";
import type { Op as ProtocolOp } from "../protocol/messages.ts";
import type { StreamName } from "./console_capture.ts";
import {
  explainDenial,
  resolvePolicy,
  type SandboxOptions,
  type SandboxPolicy,
  type SymlinkEscape,
  SymlinkScanner,
  symlinkViolation,
} from "./sandbox.ts";
import { PacedScan } from "./symlink_pacing.ts";
import { addInterruptChecks, stripFunction, stripTypes } from "./ts_strip.ts";
import type { WorkerOp } from "./worker.ts";
import { CodeWorker, type StreamCallback, type WorkerOutcome } from "./code_worker.ts";

export type { ErrorData } from "../protocol/errors.ts";
export type { StreamName } from "./console_capture.ts";

/** How to start an {@linkcode Executor}. */
export interface ExecutorOptions extends SandboxOptions {
  /** Named in error messages ("on engine 3"). */
  engineId?: number;
}

/**
 * One operation on the user namespace. `execute` yields the last expression's value, `apply`
 * the function's (awaited) result, `pull` an array of the named values in order, `names` the
 * sorted names defined in the namespace; `push` and `clear` yield `undefined`. Every value is
 * encoded with `encodeValue`.
 */
export type Op = ProtocolOp;

/** Timing and numbering shared by both outcomes. */
interface OutcomeMeta {
  /** Number of `execute` ops started so far, including this one. */
  executionCount: number;
  /** `Date.now()` when the op left the queue. */
  startedAt: number;
  /** `Date.now()` when its outcome was known. */
  completedAt: number;
  /** How long the op's code ran inside the code Worker, ms (absent when it did not run there). */
  runMs?: number;
}

/** The result of {@linkcode Executor.run}: encoded value, or error data. */
export type RunOutcome =
  | ({ ok: true; value: Uint8Array } & OutcomeMeta)
  | ({ ok: false; error: ErrorData } & OutcomeMeta);

export type { StreamCallback } from "./code_worker.ts";

/** The executor could not start its Worker. */
export class ExecutorStartError extends Error {
  /**
   * @param message What failed.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ExecutorStartError";
  }
}

/** The executor was used after {@linkcode Executor.close}. */
export class ExecutorClosedError extends Error {
  /**
   * @param message What was attempted.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ExecutorClosedError";
  }
}

interface Queued {
  op: Op;
  onStream: StreamCallback | undefined;
  exclusive: boolean;
  resolve(outcome: RunOutcome): void;
}

const UNDEFINED = encodeValue(undefined);
const IDLE_LIMIT = 1 << 20;
const STOP_WAIT_MS = 500;

/** Runs user code in a persistent, sandboxed namespace; see the module doc. */
export class Executor implements AsyncDisposable {
  #policy: SandboxPolicy;
  #symlinks: PacedScan<SymlinkEscape>;
  #engineId: number | undefined;
  #previousCwd: string;
  #worker: Promise<CodeWorker> | null = null;
  #queue: Queued[] = [];
  #pumping = false;
  #closed = false;
  #count = 0;
  #abort: ((error: ErrorData) => void) | null = null;
  #inWorker = false;
  #idle: Array<[StreamName, string]> = [];
  #idleBytes = 0;

  private constructor(policy: SandboxPolicy, engineId: number | undefined, cwd: string) {
    this.#policy = policy;
    this.#symlinks = new PacedScan(new SymlinkScanner(policy));
    this.#engineId = engineId;
    this.#previousCwd = cwd;
  }

  /**
   * Validates the sandbox, changes the cwd to the data dir and starts the Worker.
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
    const executor = new Executor(policy, options.engineId, cwd);
    try {
      await executor.#spawn();
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
   * Queues an operation; operations run one at a time, in the order given.
   *
   * @param op What to run.
   * @param onStream Receives the op's stdout/stderr while it runs.
   * @param exclusive Whether the op's payload bytes (`args`, `ns`) are views of a buffer
   * nothing else refers to; a big one is then moved to the Worker instead of copied, which
   * leaves the caller's view empty.
   * @returns The outcome; never rejects for failures of user code.
   * @throws {ExecutorClosedError} after {@linkcode close}.
   */
  run(op: Op, onStream?: StreamCallback, exclusive = false): Promise<RunOutcome> {
    if (this.#closed) {
      return Promise.reject(
        new ExecutorClosedError(`Cannot run ${op.kind}${this.#on()}: the executor is closed`),
      );
    }
    return new Promise((resolve) => {
      this.#queue.push({ op, onStream, exclusive, resolve });
      void this.#pump();
    });
  }

  /**
   * Stops the op running now, even `while (true) {}`. If it had reached the Worker, that Worker
   * is closed and a fresh one started, so the namespace is reset; the op's `run()` resolves
   * with `ename` `"Interrupted"` at once. Queued ops still run. Resolves within about 0.5 s.
   *
   * `clean` is false when the old Worker did not confirm it stopped: it was spinning in code
   * without interrupt checks (code from `eval`, `new Function` or an imported module). Deno
   * cannot stop such a thread (denoland/deno PR #35657); it keeps a CPU busy until the
   * process exits, so the engine should restart its process when `clean` is false.
   *
   * @returns `reset`: whether the namespace was reset; `clean`: whether nothing is left running.
   */
  async interrupt(): Promise<{ reset: boolean; clean: boolean }> {
    const abort = this.#abort;
    if (abort === null) return { reset: false, clean: true };
    const reset = this.#inWorker;
    const old = reset ? this.#replaceWorker() : null;
    abort({
      ename: "Interrupted",
      evalue: `the operation was interrupted${this.#on()}` +
        (reset ? "; the code worker was restarted, so the namespace is empty again" : ""),
      stack: "",
    });
    const clean = old === null ? true : await old.then((w) => w.stop(STOP_WAIT_MS), () => true);
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
    this.#abort?.(stopped);
    const now = Date.now();
    for (const item of this.#queue.splice(0)) {
      item.resolve({
        ok: false,
        error: stopped,
        executionCount: this.#count,
        startedAt: now,
        completedAt: now,
      });
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

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #on(): string {
    return this.#engineId === undefined ? "" : ` on engine ${this.#engineId}`;
  }

  #spawn(): Promise<CodeWorker> {
    const worker = CodeWorker.start(this.#policy, this.#engineId, {
      idle: (name, text) => this.#keepIdle(name, text),
      crashed: () => {
        if (this.#worker === worker) this.#worker = null;
      },
    });
    this.#worker = worker;
    worker.catch(() => {}); // observed by whoever awaits it
    return worker;
  }

  /** Starts a fresh Worker and returns the old one, which the caller must stop. */
  #replaceWorker(): Promise<CodeWorker> | null {
    const old = this.#worker;
    this.#idle = [];
    this.#idleBytes = 0;
    this.#spawn();
    return old;
  }

  #keepIdle(name: StreamName, text: string): void {
    if (this.#idleBytes >= IDLE_LIMIT) return;
    this.#idleBytes += text.length;
    this.#idle.push([name, text.length > IDLE_LIMIT ? text.slice(0, IDLE_LIMIT) : text]);
    if (this.#idleBytes >= IDLE_LIMIT) {
      this.#idle.push(["stderr", "[ipx: output between operations truncated at 1 MiB]\n"]);
    }
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let item = this.#queue.shift(); item; item = this.#queue.shift()) {
        item.resolve(await this.#runOne(item));
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #runOne(item: Queued): Promise<RunOutcome> {
    const startedAt = Date.now();
    if (item.op.kind === "execute") this.#count++;
    const executionCount = this.#count;
    const aborted = Promise.withResolvers<WorkerOutcome>();
    const token = { aborted: false };
    this.#abort = (error) => {
      token.aborted = true;
      aborted.resolve({ ok: false, error });
    };
    let outcome: WorkerOutcome;
    try {
      outcome = await Promise.race([this.#attempt(item, token), aborted.promise]);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      outcome = {
        ok: false,
        error: {
          ename: "ExecutorStartError",
          evalue: `the code worker could not be started${this.#on()} (${reason}); the engine ` +
            `cannot run code until it is restarted`,
          stack: "",
        },
      };
    } finally {
      this.#abort = null;
      this.#inWorker = false;
    }
    const completedAt = Date.now();
    const meta = {
      executionCount,
      startedAt,
      completedAt,
      ...(outcome.runMs !== undefined ? { runMs: outcome.runMs } : {}),
    };
    if (outcome.ok) return { ok: true, value: outcome.value, ...meta };
    return { ok: false, error: this.#explain(item.op.kind, outcome.error), ...meta };
  }

  /** Scans, prepares and sends one op; gives up quietly once `token.aborted` is set. */
  async #attempt(item: Queued, token: { aborted: boolean }): Promise<WorkerOutcome> {
    const escapes = this.#symlinks.check();
    if (escapes.length > 0) return { ok: false, error: symlinkViolation(escapes, this.#policy) };
    if (item.op.kind === "clear") {
      void this.#replaceWorker()?.then((w) => w.stop(), () => {});
      await this.#worker;
      return { ok: true, value: UNDEFINED };
    }
    let op: WorkerOp;
    try {
      op = prepare(item.op);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      return { ok: false, error: { ename: e.name, evalue: e.message, stack: "" } };
    }
    const worker = await (this.#worker ?? this.#spawn());
    if (token.aborted) return { ok: false, error: { ename: "Interrupted", evalue: "", stack: "" } };
    const idle = this.#idle.splice(0);
    this.#idleBytes = 0;
    for (const [name, text] of idle) deliver(item.onStream, name, text);
    this.#inWorker = true;
    return await worker.send(
      op,
      (name, text) => deliver(item.onStream, name, text),
      item.exclusive,
    );
  }

  #explain(kind: Op["kind"], error: ErrorData): ErrorData {
    const out = explainDenial(error, this.#policy, this.#engineId);
    if (out.ename === "ReferenceError" && kind === "apply") {
      out.evalue += "; functions are sent as source, so they cannot capture the client's " +
        "variables; pass values as arguments or push them";
    } else if (out.ename === "ReferenceError" && kind === "pull") {
      out.evalue += `; pull reads names from the engine namespace${this.#on()}: define or push ` +
        `it first`;
    } else if (out.ename === "SerializationError") {
      out.evalue += ` (result of ${kind}${this.#on()})`;
    } else if (
      out.ename === "SyntaxError" && /import statement|import declarations/.test(out.evalue)
    ) {
      out.evalue += '; use a dynamic import instead: const m = await import("/abs/path.ts")';
    }
    if (this.#engineId !== undefined) out.engineId = this.#engineId;
    return out;
  }
}

/** Prepared (type-stripped, interrupt-checked) sources by original source. */
const preparedSources = new Map<string, string>();
const PREPARED_LIMIT = 512;

function cachedPrepare(kind: "execute" | "apply", source: string): string {
  const key = `${kind}\u0000${source}`;
  let out = preparedSources.get(key);
  if (out === undefined) {
    out = addInterruptChecks(kind === "execute" ? stripTypes(source) : stripFunction(source));
    preparedSources.set(key, out);
    if (preparedSources.size > PREPARED_LIMIT) {
      preparedSources.delete(preparedSources.keys().next().value!);
    }
  }
  return out;
}

function prepare(op: Exclude<Op, { kind: "clear" }>): WorkerOp {
  switch (op.kind) {
    case "execute":
      return { kind: "execute", code: cachedPrepare("execute", op.code) };
    case "apply":
      return { kind: "apply", fn: cachedPrepare("apply", op.fn), args: op.args };
    case "pull":
      if (!Array.isArray(op.names)) throw new TypeError("Cannot pull: names must be an array");
      return { kind: "pull", names: [...op.names] };
    default:
      return op;
  }
}

/** Goes back to `previous` if the cwd is still `dataDir` (best effort: it may be unreadable). */
function restoreCwd(dataDir: string, previous: string): void {
  try {
    if (Deno.cwd() === dataDir) Deno.chdir(previous);
  } catch {
    // Staying in the data dir is harmless.
  }
}

function deliver(onStream: StreamCallback | undefined, name: StreamName, text: string): void {
  try {
    onStream?.(name, text);
  } catch {
    // A failing listener must not break the op; its output is simply lost.
  }
}
