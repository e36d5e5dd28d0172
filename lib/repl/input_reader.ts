/**
 * The REPL's input state machine: which mode it is in (`local` or `autopx`), whether a cell is
 * still being typed, and which cell a line completes. Pure: the session feeds it lines and
 * runs the cells it returns.
 *
 * ```text
 *            line: %name …            → magic cell
 *   ready ── line: %%name …           → collecting (until an empty line) → magic cell with body
 *            line: code, incomplete   → continuing (until complete)       → code cell
 *            line: code, complete     → code cell (local, or engines in autopx mode)
 * ```
 *
 * @module
 */

import { splitMagic } from "./magic_args.ts";

/** Where plain input runs. */
export type Mode = "local" | "autopx";

/** A cell being typed over several lines. */
export type Pending =
  | { kind: "none" }
  | { kind: "code"; lines: readonly string[] }
  | { kind: "cell"; name: string; rest: string; lines: readonly string[] };

/** The reader's state. */
export interface ReaderState {
  /** Where plain input runs. */
  readonly mode: Mode;
  /** The cell being typed, if any. */
  readonly pending: Pending;
}

/** A complete unit of input. */
export type Cell =
  | { kind: "magic"; name: string; rest: string; body?: string }
  | { kind: "code"; where: "local" | "engines"; code: string }
  | { kind: "invalid"; text: string };

/** What one line did. */
export interface ReadStep {
  /** The new state. */
  state: ReaderState;
  /** The cell the line completed, if any. */
  cell?: Cell;
}

/** The state a REPL starts in. */
export const INITIAL_READER_STATE: ReaderState = Object.freeze<ReaderState>({
  mode: "local",
  pending: { kind: "none" },
});

const NONE: Pending = { kind: "none" };

function codeCell(mode: Mode, code: string): Cell {
  return { kind: "code", where: mode === "autopx" ? "engines" : "local", code };
}

/**
 * Feeds one line.
 *
 * @param state The current state.
 * @param line The line, without its newline.
 * @param isIncomplete Tells whether code needs more lines.
 * @returns The new state and the completed cell, if any.
 *
 * @example Usage
 * ```ts
 * import { INITIAL_READER_STATE, readLine } from "./input_reader.ts";
 * readLine(INITIAL_READER_STATE, "%px 1", () => false).cell;
 * // { kind: "magic", name: "%px", rest: "1" }
 * ```
 */
export function readLine(
  state: ReaderState,
  line: string,
  isIncomplete: (code: string) => boolean,
): ReadStep {
  const p = state.pending;
  if (p.kind === "cell") {
    // an empty line ends the body, unless the code so far is unfinished (an open bracket, a
    // function whose body has a blank line): then it is part of the code, as for local cells
    if (line.trim() === "" && !isIncomplete(p.lines.join("\n"))) {
      const cell: Cell = { kind: "magic", name: p.name, rest: p.rest, body: p.lines.join("\n") };
      return { state: { ...state, pending: NONE }, cell };
    }
    return { state: { ...state, pending: { ...p, lines: [...p.lines, line] } } };
  }
  if (p.kind === "code") {
    const lines = [...p.lines, line];
    const code = lines.join("\n");
    if (isIncomplete(code)) return { state: { ...state, pending: { kind: "code", lines } } };
    return { state: { ...state, pending: NONE }, cell: codeCell(state.mode, code) };
  }
  if (line.trim() === "") return { state };
  if (line.trimStart().startsWith("%")) {
    const call = splitMagic(line);
    if (!call) return { state, cell: { kind: "invalid", text: line.trim() } };
    if (call.name.startsWith("%%")) {
      return { state: { ...state, pending: { kind: "cell", ...call, lines: [] } } };
    }
    return { state, cell: { kind: "magic", ...call } };
  }
  if (isIncomplete(line)) return { state: { ...state, pending: { kind: "code", lines: [line] } } };
  return { state, cell: codeCell(state.mode, line) };
}

/**
 * Ends the input: a cell still being typed is completed as it is (so a script's last cell
 * runs even without its closing empty line, and unfinished code reports its syntax error).
 *
 * @param state The current state.
 * @returns The new state and the cell, if one was pending.
 */
export function endInput(state: ReaderState): ReadStep {
  const p = state.pending;
  const next = { ...state, pending: NONE };
  if (p.kind === "cell") {
    return {
      state: next,
      cell: { kind: "magic", name: p.name, rest: p.rest, body: p.lines.join("\n") },
    };
  }
  if (p.kind === "code") return { state: next, cell: codeCell(state.mode, p.lines.join("\n")) };
  return { state: next };
}

/**
 * Drops the cell being typed (Ctrl-C at a prompt).
 *
 * @param state The current state.
 * @returns The state with nothing pending.
 */
export function cancelInput(state: ReaderState): ReaderState {
  return { ...state, pending: NONE };
}

/**
 * Switches between local and autopx mode.
 *
 * @param state The current state.
 * @returns The state in the other mode.
 */
export function toggleAutopx(state: ReaderState): ReaderState {
  return { ...state, mode: state.mode === "autopx" ? "local" : "autopx" };
}

/**
 * The prompt for the next line: `In [n]: ` (with `[autopx] ` in front in autopx mode), or a
 * right-aligned `...: ` while a cell continues.
 *
 * @param state The current state.
 * @param cellNumber The number the next cell gets.
 * @returns The prompt text (uncoloured).
 */
export function promptText(state: ReaderState, cellNumber: number): string {
  const main = `${state.mode === "autopx" ? "[autopx] " : ""}In [${cellNumber}]: `;
  if (state.pending.kind === "none") return main;
  return "...: ".padStart(main.length);
}

/**
 * Whether the line being typed is engine code (for completion from the engines' names):
 * a `%%px` body, or any plain input in autopx mode.
 *
 * @param state The current state.
 * @returns True when the next line runs on the engines.
 */
export function typingEngineCode(state: ReaderState): boolean {
  return state.pending.kind === "cell" || state.mode === "autopx";
}
