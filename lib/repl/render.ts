/**
 * The exact text the REPL prints for results, errors and engine lists. Pure: every function
 * returns a string ending in a newline (or "" when there is nothing to show).
 *
 * Formats (ipyparallel's):
 * - `Out[EID:N]: value` for an engine result (N = the engine's execution count), `Out[n]: value`
 *   for a local one; `undefined` shows nothing.
 * - `[EID:execute] Name: message` and the remote stack for an engine error; two or more
 *   failed engines end with `CompositeError: 3 errors on engines 0,1,2` (one failure of a cell
 *   run on several: `CompositeError: 1 error on engine 3`).
 *
 * @module
 */

import { CompositeError, RemoteError } from "../client/errors.ts";
import type { EngineInfo } from "../protocol/messages.ts";
import { trimOwnFrames } from "./own_frames.ts";
import type { Palette } from "./palette.ts";

/**
 * The `Out[…]:` line of a value.
 *
 * @param label What goes in the brackets: `0:3` for engine 0's third execution, `3` locally.
 * @param value The value.
 * @param palette Colours.
 * @returns The line, or "" for `undefined`.
 *
 * @example Usage
 * ```ts
 * import { formatOut } from "./render.ts";
 * import { createPalette } from "./palette.ts";
 * formatOut("0:1", 2, createPalette(false)); // "Out[0:1]: 2\n"
 * ```
 */
export function formatOut(label: string, value: unknown, palette: Palette): string {
  if (value === undefined) return "";
  // a returned error's stack runs down into the engine's worker or the REPL: not the user's
  return `${palette.outLabel(`Out[${label}]:`)} ${trimOwnFrames(palette.inspect(value))}\n`;
}

/** The parts of a remote error the REPL shows. */
export interface ShownError {
  /** Error class name, e.g. `TypeError`. */
  ename: string;
  /** Error message. */
  evalue: string;
  /** Remote stack trace; only its `at …` frames are shown. */
  remoteStack: string;
  /** Engine it happened on. */
  engineId: number;
}

function stackFrames(stack: string): string[] {
  const lines = stack.split("\n");
  const first = lines.findIndex((l) => /^\s+at /.test(l));
  return first < 0 ? [] : lines.slice(first).filter((l) => l.trim() !== "");
}

/**
 * An engine error: `[EID:execute] Name: message` and the stack frames of the user's code.
 *
 * @param error The error.
 * @param palette Colours.
 * @returns The lines.
 */
export function formatRemoteError(error: ShownError, palette: Palette): string {
  const head = palette.error(`[${error.engineId}:execute] ${error.ename}:`);
  const frames = stackFrames(error.remoteStack);
  return [`${head} ${error.evalue}`, ...frames].join("\n") + "\n";
}

/**
 * The summary after engine errors of a cell that ran on several engines (as ipyparallel raises
 * a `CompositeError` for any failure of a multi-engine call).
 *
 * @param engineIds The engines that failed, in order.
 * @param palette Colours.
 * @param ranOn How many engines the cell ran on. @default engineIds.length
 * @returns `CompositeError: N errors on engines a,b,…` (`1 error on engine a`), or "" when
 *   nothing failed or the cell ran on one engine.
 */
export function formatCompositeSummary(
  engineIds: readonly number[],
  palette: Palette,
  ranOn = engineIds.length,
): string {
  if (engineIds.length === 0 || ranOn < 2) return "";
  const what = engineIds.length === 1
    ? `1 error on engine ${engineIds[0]}`
    : `${engineIds.length} errors on engines ${engineIds.join(",")}`;
  return `${palette.error("CompositeError:")} ${what}\n`;
}

/** The frames of a remote stack worth showing: the user's code on the engine. */
function remoteFrames(remoteStack: string): string[] {
  return stackFrames(trimOwnFrames(remoteStack));
}

/** Engine failures shown under a CompositeError thrown into a local cell (the rest counted). */
const COMPOSITE_SHOWN = 8;

/**
 * A value thrown by a local cell: `Uncaught Name: message` and the user's stack frames. A
 * {@linkcode RemoteError} (a local `await dv.apply(…)` that failed on an engine) shows the
 * remote stack instead, the user's code on the engine, as `%px` does; its local stack is the
 * client's. A {@linkcode CompositeError} shows each engine's error that way.
 *
 * @param thrown What was thrown.
 * @param palette Colours.
 * @param hint Appended to the message (what to do about it). @default ""
 * @returns The lines.
 */
export function formatLocalError(thrown: unknown, palette: Palette, hint = ""): string {
  if (thrown instanceof CompositeError) {
    const head = `${palette.error(`Uncaught ${thrown.name}:`)} ${
      thrown.message.split("\n")[0]
    }${hint}`;
    const lines = [head];
    for (const e of thrown.errors.slice(0, COMPOSITE_SHOWN)) {
      const where = e.engineId < 0 ? "no engine" : String(e.engineId);
      lines.push(`${palette.error(`[${where}] ${e.ename}:`)} ${e.evalue}`);
      lines.push(...remoteFrames(e.remoteStack));
    }
    const more = thrown.errors.length - COMPOSITE_SHOWN;
    if (more > 0) lines.push(`… and ${more} more (their .errors holds every one)`);
    return lines.join("\n") + "\n";
  }
  if (thrown instanceof RemoteError) {
    return [
      `${palette.error(`Uncaught ${thrown.name}:`)} ${thrown.message}${hint}`,
      ...remoteFrames(thrown.remoteStack),
    ].join("\n") + "\n";
  }
  if (thrown instanceof Error) {
    // user frames come first; the REPL's own (and Deno's) start where the cell was called, and
    // a syntax error has only the frames of the type stripping
    const frames = stackFrames(trimOwnFrames(thrown.stack ?? ""));
    return [`${palette.error(`Uncaught ${thrown.name}:`)} ${thrown.message}${hint}`, ...frames]
      .join("\n") + "\n";
  }
  return `${palette.error("Uncaught")} ${palette.inspect(thrown)}${hint}\n`;
}

/**
 * A failure of the REPL itself (a magic used wrongly, no engines, a lost connection): its
 * name and message, without a stack.
 *
 * @param error What was thrown.
 * @param palette Colours.
 * @returns E.g. `UsageError: %px needs code`.
 */
export function formatFailure(error: unknown, palette: Palette): string {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return `${palette.error(`${name}:`)} ${message}\n`;
}

/**
 * The table `%engines` prints.
 *
 * @param engines The engines, any order.
 * @returns A header (`id host pid data dir state queue`) and one row per engine, by id; a
 * hint when there are none.
 */
export function formatEnginesTable(engines: readonly EngineInfo[]): string {
  if (engines.length === 0) {
    return "No engines are registered; start some with `ipx engine --n 2`\n";
  }
  // the columns of issue 3: id, host, pid, data dir, state, queue
  const rows = [["id", "host", "pid", "data dir", "state", "queue"]];
  for (const e of [...engines].sort((a, b) => a.id - b.id)) {
    rows.push([String(e.id), e.host, String(e.pid), e.dataDir, e.state, String(e.queue)]);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) =>
    r.map((cell, col) => col === r.length - 1 ? cell : cell.padEnd(widths[col]!)).join("  ")
  ).join("\n") + "\n";
}
