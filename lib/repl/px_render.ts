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
  /** Label stdout lines (false when one engine ran the code). */
  prefixStdout: boolean;
  /** Colours. */
  palette: Palette;
}

/**
 * Whether a task ended because it was interrupted while running. The engine restarts its code
 * worker to stop running code, so such an engine's namespace was reset.
 *
 * @param s The task's outcome.
 * @returns True for an `Interrupted` failure.
 */
export function wasInterrupted(s: Settled): boolean {
  return !s.ok && s.error.ename === "Interrupted";
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
  const reset = settled.filter(wasInterrupted).map((s) => s.engineId);
  if (reset.length) {
    out += `${options.palette.error("Interrupted:")} the code was stopped; namespace reset on ` +
      `engines ${reset.join(",")} (their variables are gone; the engines are ready)\n`;
  }
  return out;
}
