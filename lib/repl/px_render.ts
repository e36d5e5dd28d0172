/**
 * The text shown when a parallel execution ends: grouped outputs (when they were not
 * streamed), `Out[EID:N]` lines and engine errors in target order, the `CompositeError`
 * summary, and which engines an interrupt reset. Pure.
 *
 * @module
 */

import type { Settled } from "../client/async_result.ts";
import type { Palette } from "./palette.ts";
import type { GroupOutputs } from "./px_config.ts";
import { formatCompositeSummary, formatOut, formatRemoteError } from "./render.ts";
import { type Chunk, printChunks } from "./stream_printer.ts";

/** How to render a finished execution. */
export interface PxRenderOptions {
  /** The outputs were already printed while it ran. */
  streamed: boolean;
  /** Grouping of outputs not yet printed. */
  groupOutputs: GroupOutputs;
  /** Label stdout lines (stderr lines are always labelled). */
  prefixStdout: boolean;
  /** Colours. */
  palette: Palette;
}

/**
 * Whether a task ended because it was interrupted: stopped while it ran (the engine restarts
 * its code worker for that, so its namespace was reset), or taken off the engine's queue before
 * it started (see {@linkcode interruptedBeforeStart}).
 *
 * @param s The task's outcome.
 * @returns True for an `Interrupted` failure, or a `TaskAborted` one caused by an interrupt.
 */
export function wasInterrupted(s: Settled): boolean {
  return !s.ok && (s.error.ename === "Interrupted" || interruptedBeforeStart(s));
}

/**
 * Whether an interrupt took a task off an engine's queue before it started: the engine was busy
 * with other work (another client's task, or one this session did not wait for), which the
 * interrupt did not stop. The engine's namespace is untouched.
 *
 * @param s The task's outcome.
 * @returns True when the engine says it was interrupted "before it started".
 */
export function interruptedBeforeStart(s: Settled): boolean {
  return !s.ok && (s.error.ename === "Interrupted" || s.error.ename === "TaskAborted") &&
    /was interrupted before it started$/.test(s.error.evalue);
}

/** The line(s) saying what an interrupt did on each engine, or "". */
function interruptSummary(settled: readonly Settled[], palette: Palette): string {
  const hit = settled.filter(wasInterrupted);
  const queued = hit.filter(interruptedBeforeStart).map((s) => s.engineId);
  const reset = hit.filter((s) => !interruptedBeforeStart(s)).map((s) => s.engineId);
  let out = "";
  if (reset.length) {
    out += `${palette.error("Interrupted:")} the code was stopped; namespace reset on ` +
      `engines ${reset.join(",")} (their variables are gone; the engines are ready)\n`;
  }
  if (queued.length) {
    out += `${palette.error("Interrupted:")} the code never started on engines ` +
      `${queued.join(",")}: they were busy with earlier work (another client's, or a task this ` +
      `session did not wait for), which goes on; their namespaces are untouched ` +
      `(\`await rc.dbQuery({ engineId: ${queued[0]}, completed: null })\` lists what is ` +
      `unfinished there; \`rc.getResult(msgId).interrupt()\` stops one)\n`;
  }
  return out;
}

function resultText(s: Settled, palette: Palette): string {
  if (s.ok) return formatOut(`${s.engineId}:${s.executionCount}`, s.value, palette);
  if (wasInterrupted(s)) return "";
  return formatRemoteError(s.error, palette);
}

function outputsText(
  settled: readonly Settled[],
  chunks: readonly Chunk[],
  o: PxRenderOptions,
): { before: string; perEngine: Map<number, string> } {
  const opts = { prefixStdout: o.prefixStdout };
  const perEngine = new Map<number, string>();
  if (o.streamed) return { before: "", perEngine };
  const of = (id: number, name: Chunk["name"]) =>
    chunks.filter((c) => c.engineId === id && c.name === name);
  if (o.groupOutputs === "order") {
    return { before: printChunks(chunks, opts, o.palette), perEngine };
  }
  if (o.groupOutputs === "type") {
    const ids = settled.map((s) => s.engineId);
    const stdout = ids.flatMap((id) => of(id, "stdout"));
    const stderr = ids.flatMap((id) => of(id, "stderr"));
    return {
      before: printChunks(stdout, opts, o.palette) + printChunks(stderr, opts, o.palette),
      perEngine,
    };
  }
  for (const s of settled) {
    perEngine.set(
      s.engineId,
      printChunks([...of(s.engineId, "stdout"), ...of(s.engineId, "stderr")], opts, o.palette),
    );
  }
  return { before: "", perEngine };
}

/**
 * Renders a finished execution.
 *
 * @param settled Each task's outcome, in target order.
 * @param chunks Every output chunk, in arrival order.
 * @param options Streaming, grouping, prefixes and colours.
 * @returns The text to print (maybe "").
 *
 * @example Usage
 * ```ts ignore
 * renderPxOutcome(await ar.settled(), chunks, { streamed: true, groupOutputs: "engine",
 *   prefixStdout: true, palette });
 * // "Out[0:1]: 2\nOut[1:1]: 2\n"
 * ```
 */
export function renderPxOutcome(
  settled: readonly Settled[],
  chunks: readonly Chunk[],
  options: PxRenderOptions,
): string {
  const { before, perEngine } = outputsText(settled, chunks, options);
  let out = before;
  for (const s of settled) {
    out += (perEngine.get(s.engineId) ?? "") + resultText(s, options.palette);
  }
  const failed = settled.filter((s) => !s.ok && !wasInterrupted(s)).map((s) => s.engineId);
  out += formatCompositeSummary(failed, options.palette, settled.length);
  return out + interruptSummary(settled, options.palette);
}
