/**
 * What the {@linkcode Executor} does to ops and their errors outside its queue: preparing
 * sources (types stripped, loop checks added, cached), swapping payloads, explaining errors.
 *
 * @module
 */

import type { ErrorData } from "../protocol/errors.ts";
import {
  explainDenial,
  type SandboxPolicy,
  type SymlinkEscape,
  symlinkViolation,
} from "./sandbox.ts";
import type { SourcePreparer } from "./stripper.ts";
import type { StreamName } from "./console_capture.ts";
import type { StreamCallback, WorkerOutcome } from "./code_worker.ts";
import type { WorkerOp } from "./worker.ts";
import type { CodeWorker } from "./code_worker.ts";
import type { Op, RunOutcome } from "./executor_types.ts";
// deno-lint-ignore no-unused-vars
import type { Executor } from "./executor.ts";

/** An op in the executor's queue, or sent to its Worker and not answered yet. */
export interface Item {
  op: Op;
  onStream: StreamCallback | undefined;
  exclusive: boolean;
  onStart: ((startedAt: number) => void) | undefined;
  resolve(outcome: RunOutcome): void;
  /** The Worker it was sent to, and its id there (absent while queued). */
  worker?: CodeWorker;
  id?: number;
  /** `Date.now()` when it started. */
  startedAt?: number;
  settled: boolean;
  /** Its payload was moved to that Worker and has not come back: it cannot be sent again yet. */
  lent?: CodeWorker;
}

/**
 * Most ops in the Worker at once (one running, the rest waiting in its queue) when ops take
 * under a millisecond: the Worker goes from one to the next without waiting for the engine's
 * thread, which is not woken between them (measured: load-balanced tiny tasks +36%).
 */
export const MAX_AHEAD = 4;

/**
 * How many ops may be in the Worker at once, from how long the last one ran: small ops
 * {@linkcode MAX_AHEAD}, ops of a few ms 2, longer ones 1 (sending those ahead gains nothing
 * and their symlink checks would go stale).
 *
 * @param lastRunMs How long the last op ran, ms.
 */
export function aheadFor(lastRunMs: number): number {
  return lastRunMs < 1 ? MAX_AHEAD : lastRunMs < 5 ? 2 : 1;
}

const IDLE_LIMIT = 1 << 20;

/** Output written while no op runs (timers), kept for the next op, at most 1 MiB. */
export class IdleOutput {
  #chunks: Array<[StreamName, string]> = [];
  #bytes = 0;

  /**
   * Keeps a chunk.
   *
   * @param name The stream.
   * @param text The output.
   */
  keep(name: StreamName, text: string): void {
    if (this.#bytes >= IDLE_LIMIT) return;
    this.#bytes += text.length;
    this.#chunks.push([name, text.length > IDLE_LIMIT ? text.slice(0, IDLE_LIMIT) : text]);
    if (this.#bytes >= IDLE_LIMIT) {
      this.#chunks.push(["stderr", "[ipx: output between operations truncated at 1 MiB]\n"]);
    }
  }

  /** The chunks kept so far, in order; forgets them. */
  take(): Array<[StreamName, string]> {
    this.#bytes = 0;
    return this.#chunks.splice(0);
  }

  /** Forgets everything kept. */
  clear(): void {
    this.take();
  }
}

/**
 * Adds what the user should know to an op's error: the permission and flag of a denial, that
 * functions cannot capture client variables, how to import, the engine.
 *
 * @param kind The op's kind.
 * @param error The error as the Worker reported it.
 * @param policy The sandbox (for denials).
 * @param engineId The engine, when known.
 */
export function explainError(
  kind: Op["kind"],
  error: ErrorData,
  policy: SandboxPolicy,
  engineId: number | undefined,
): ErrorData {
  const out = explainDenial(error, policy, engineId);
  if (/ --cached-only is specified/.test(out.evalue)) {
    out.evalue = explainUncached(out.evalue, engineId);
  } else if (out.ename === "ReferenceError" && kind === "apply") {
    out.evalue += "; functions are sent as source, so they cannot capture the client's " +
      "variables; pass values as arguments or push them";
  } else if (out.ename === "ReferenceError" && kind === "pull") {
    out.evalue += `; pull reads names from the engine namespace${(engineId === undefined
      ? ""
      : ` on engine ${engineId}`)}: define or push ` +
      `it first`;
  } else if (out.ename === "SerializationError") {
    out.evalue += ` (result of ${kind}${(engineId === undefined ? "" : ` on engine ${engineId}`)})`;
  } else if (
    out.ename === "SyntaxError" && /import statement|import declarations/.test(out.evalue)
  ) {
    out.evalue += '; use a dynamic import instead: const m = await import("/abs/path.ts")';
  }
  if (engineId !== undefined) out.engineId = engineId;
  return out;
}
/**
 * Says what to do about an `npm:` import that failed because the package is not in Deno's
 * cache. Engines run with `--cached-only` (see `engineProcessFlags` in `supervisor.ts`), so they
 * never download code; a package cached beforehand, with the engines' `DENO_DIR`, loads (checked:
 * `deno cache --no-lock npm:NAME`, then `dv.clear()`; a Worker keeps a failed import's failure
 * for that specifier until it is replaced).
 *
 * @param evalue Deno's message, e.g. `Failed caching npm package 'lodash@3.10.1'` or `Failed
 *   loading … for package "lodash"`, then `npm package not found in cache: "lodash",
 *   --cached-only is specified.`
 * @param engineId The engine, when known.
 * @returns The message that replaces it.
 */
export function explainUncached(evalue: string, engineId: number | undefined): string {
  const versioned = /Failed caching npm package '([^']+)'/.exec(evalue)?.[1];
  const name = /npm package not found in cache: "([^"]+)"/.exec(evalue)?.[1] ??
    /for package "([^"]+)"/.exec(evalue)?.[1];
  const spec = versioned ?? name;
  const what = spec === undefined ? "an npm package" : `npm package "${spec}"`;
  const command = `deno cache --no-lock npm:${spec ?? "NAME"}`;
  const engine = engineId === undefined ? "the engine" : `engine ${engineId}`;
  return `${what} is not in the module cache of ${engine}, and engines never download code ` +
    `(they run with --cached-only: a download would take data past the sandbox's network ` +
    `rules). On the engine's machine, as the user running the engines and with their DENO_DIR, ` +
    `run \`${command}\` (` +
    (versioned === undefined ? "with the version your import names, if any; " : "") +
    `ipx's own deno, when ./ipx installed one, is .tools/node_modules/deno/deno in the ipx ` +
    `folder), then reset the namespace with dv.clear() or restart the engines (a namespace ` +
    `keeps a failed import until then) and import it again`;
}

/** The op with its payload bytes (`args`, `ns`) replaced. */
export function withPayload(op: Op, payload: Uint8Array): Op {
  if (op.kind === "apply") return { ...op, args: payload };
  if (op.kind === "push") return { ...op, ns: payload };
  return op;
}

/**
 * The answer to an op whose code Worker could not be started.
 *
 * @param reason Why it could not.
 * @param on `" on engine N"`, or empty.
 * @returns The error.
 */
export function workerStartFailure(reason: string, on: string): ErrorData {
  return {
    ename: "ExecutorStartError",
    evalue: `the code worker could not be started${on} (${reason}); the engine cannot run ` +
      `code until it is restarted`,
    stack: "",
  };
}

export function lostPayload(on: string): WorkerOutcome {
  return {
    ok: false,
    error: {
      ename: "WorkerCrashed",
      evalue: `the code worker stopped${on} before the operation started, and its data was ` +
        `already in the worker; send it again`,
      stack: "",
    },
  };
}

/**
 * The answer to a running op that was stopped: its Worker was replaced.
 *
 * @param on Where (` on engine N`, or empty).
 */
export function interrupted(on: string): WorkerOutcome {
  return {
    ok: false,
    error: {
      ename: "Interrupted",
      evalue: `the operation was interrupted${on}; the code worker was restarted, ` +
        `so the namespace is empty again`,
      stack: "",
    },
  };
}

/**
 * The answer to an op taken out of the queue before it started.
 *
 * @param ename `"Interrupted"`, or the name its withdrawal gave (`"Withdrawn"`, …).
 * @param on Where (` on engine N`, or empty).
 */
export function withdrawn(ename: string, on: string): WorkerOutcome {
  return {
    ok: false,
    error: {
      ename,
      evalue: ename === "Interrupted"
        ? `the operation was interrupted${on} before it started`
        : `the operation was withdrawn before it started${on}`,
      stack: "",
    },
  };
}

/**
 * An op's answer: the Worker's outcome (errors explained for the user) with its timing and its
 * number.
 *
 * @param item The op.
 * @param outcome What the Worker (or the executor) said.
 * @param ctx The op's `execute` count, whether it was withdrawn, and what error messages name.
 */
export function runOutcome(
  item: Item,
  outcome: WorkerOutcome,
  ctx: {
    executionCount: number;
    withdrawn: boolean;
    policy: SandboxPolicy;
    engineId: number | undefined;
  },
): RunOutcome {
  const completedAt = Date.now();
  const meta = {
    executionCount: ctx.executionCount,
    startedAt: item.startedAt ?? completedAt,
    completedAt,
    ...(outcome.runMs !== undefined ? { runMs: outcome.runMs } : {}),
    ...(ctx.withdrawn ? { withdrawn: true as const } : {}),
  };
  if (outcome.ok) return { ok: true, value: outcome.value, ...meta };
  const error = explainError(item.op.kind, outcome.error, ctx.policy, ctx.engineId);
  return { ok: false, error, ...meta };
}

/**
 * What an op becomes just before it is sent: refused while the data dir holds links that escape
 * the sandbox, else {@linkcode prepared}.
 *
 * @param op The op.
 * @param escapes What the symlink scan found.
 * @param policy The sandbox.
 * @param sources The source preparation.
 * @returns The op the Worker runs, or the failure to answer with.
 */
export function checked(
  op: Op,
  escapes: SymlinkEscape[],
  policy: SandboxPolicy,
  sources: SourcePreparer,
): { op?: WorkerOp; failure?: ErrorData } {
  return escapes.length > 0
    ? { failure: symlinkViolation(escapes, policy) }
    : prepared(op, sources);
}

/**
 * An op as its Worker runs it ({@linkcode prepare}), or why it cannot run (`clear` has none:
 * it replaces the Worker).
 *
 * @param op The op.
 * @param sources Prepares `execute` and `apply` sources (loaded).
 */
export function prepared(op: Op, sources: SourcePreparer): { op?: WorkerOp; failure?: ErrorData } {
  if (op.kind === "clear") return {};
  try {
    return { op: prepare(op, sources) };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    return { failure: { ename: e.name, evalue: e.message, stack: "" } };
  }
}

/** An op as its Worker runs it: sources prepared (types stripped, loops checked, imports routed). */
export function prepare(op: Exclude<Op, { kind: "clear" }>, sources: SourcePreparer): WorkerOp {
  switch (op.kind) {
    case "execute":
      return { kind: "execute", code: sources.prepare("execute", op.code) };
    case "apply":
      return { kind: "apply", fn: sources.prepare("apply", op.fn), args: op.args };
    case "pull":
      if (!Array.isArray(op.names)) throw new TypeError("Cannot pull: names must be an array");
      return { kind: "pull", names: [...op.names] };
    default:
      return op;
  }
}

/** Goes back to `previous` if the cwd is still `dataDir` (best effort: it may be unreadable). */
export function restoreCwd(dataDir: string, previous: string): void {
  try {
    if (Deno.cwd() === dataDir) Deno.chdir(previous);
  } catch {
    // Staying in the data dir is harmless.
  }
}

export function deliver(
  onStream: StreamCallback | undefined,
  name: StreamName,
  text: string,
): void {
  try {
    onStream?.(name, text);
  } catch {
    // A failing listener must not break the op; its output is simply lost.
  }
}
