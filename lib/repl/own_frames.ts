/**
 * {@linkcode trimOwnFrames}: removes ipx's own stack frames from text the REPL shows — stacks
 * of errors that are returned or printed rather than thrown (`%px new Error("x")`,
 * `console.trace()`, a local `new Error()`), which carry the frames of the engine's worker or
 * of the REPL that ran the cell. Thrown engine errors are trimmed by the client (`trimStack`);
 * this does the same for everything else. Pure.
 *
 * @module
 */

const FRAME = /^\s*at /;
// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
/** Where ipx called the user's code: this frame and every frame below it are ipx's or Deno's. */
const BOUNDARY = /\(ext:deno_node\/inspector|\bnode:inspector|\/lib\/(engine|evaluate|repl)\//;
/**
 * Other frames of ipx (or Deno) that may sit above the user's, e.g. a client call, or the
 * packages ipx uses for its wire format and type stripping (an unsendable value fails in the
 * msgpack codec).
 */
const OWN =
  /\/lib\/(protocol|client|controller)\/|\(ext:|^\s*at ext:|[/+]@?(msgpack[/+]msgpack|sucrase)[/@]/;

/**
 * Drops ipx's own frames from stack traces in a text: frames from the one where ipx ran the
 * cell (the inspector call, the engine's worker, the REPL) down to the end of that stack, and
 * other ipx or Deno-internal frames anywhere. Other lines, and the user's frames above, stay.
 *
 * @param text Text that may hold stack traces (colours allowed).
 * @returns The text without those lines.
 *
 * @example Usage
 * ```ts
 * import { trimOwnFrames } from "./own_frames.ts";
 * trimOwnFrames("Error: x\n    at <anonymous>:1:1\n    at evaluate (file:///ipx/lib/engine/worker.ts:9:1)\n");
 * // "Error: x\n    at <anonymous>:1:1\n"
 * ```
 */
export function trimOwnFrames(text: string): string {
  return text.includes("at ") ? withoutOwnFrames(text.split("\n")).join("\n") : text;
}

/**
 * {@linkcode trimOwnFrames} on lines.
 *
 * @param lines Lines without their newlines.
 * @returns The lines kept.
 */
export function withoutOwnFrames(lines: readonly string[]): string[] {
  let below = false;
  return lines.filter((line) => {
    const plain = line.replace(ANSI, "");
    if (!FRAME.test(plain)) {
      below = false;
      return true;
    }
    if (below) return false;
    if (BOUNDARY.test(plain)) {
      below = true;
      return false;
    }
    return !OWN.test(plain);
  });
}
