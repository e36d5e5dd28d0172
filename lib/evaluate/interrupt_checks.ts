/**
 * Makes the loops of user code interruptible: every loop gets a call to
 * {@linkcode INTERRUPT_CHECK} in its condition (or at the top of its body for `for…of`/`for…in`
 * with a block body). A cell that spins in JavaScript cannot be stopped from outside its thread
 * otherwise: Deno (2.9) cannot stop a Worker that spins (`worker.terminate()` leaves the thread
 * running, denoland/deno PR #35657), and nothing can stop the REPL's own thread. The engines'
 * Worker and the REPL each define the check: it reads a flag another thread sets and throws or
 * closes when it is set.
 *
 * @module
 */

import { type JsToken, jsTokens, TokenType } from "./js_tokens.ts";

/** Name of the global function the instrumented loops call; it returns `true`. */
export const INTERRUPT_CHECK = "$ipx$tick";

function matchingParen(tokens: readonly JsToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const type = tokens[i]?.type;
    if (type === TokenType.parenL) depth++;
    else if (type === TokenType.parenR && --depth === 0) return i;
  }
  return -1;
}

/**
 * Adds a call to {@linkcode INTERRUPT_CHECK} to every loop of some JavaScript:
 * `while (c)` and `do … while (c)` become `while ($ipx$tick() && (c))`, `for (a; c; b)`
 * becomes `for (a; $ipx$tick() && (c); b)`, and a `for…of`/`for…in` block body starts with
 * `$ipx$tick();`. Nothing is added on new lines, so line numbers stay the same.
 *
 * @param js JavaScript source (already stripped of types).
 * @returns The instrumented source.
 * @throws {TypeScriptSyntaxError} if the source does not parse.
 *
 * @example Usage
 * ```ts
 * import { addInterruptChecks } from "./interrupt_checks.ts";
 * addInterruptChecks("while (true) {}"); // "while ($ipx$tick() && (true)) {}"
 * ```
 */
export function addInterruptChecks(js: string): string {
  const tokens = jsTokens(js);
  const inserts: Array<[number, string]> = [];
  const check = `${INTERRUPT_CHECK}()`;
  for (let i = 0; i < tokens.length; i++) {
    const type = tokens[i]?.type;
    if (type !== TokenType._while && type !== TokenType._for) continue;
    let open = i + 1;
    if (tokens[open]?.type !== TokenType.parenL) open++; // `for await (`
    const close = matchingParen(tokens, open);
    const openToken = tokens[open];
    const closeToken = tokens[close];
    if (openToken?.type !== TokenType.parenL || closeToken === undefined) continue;
    if (type === TokenType._while) {
      inserts.push([openToken.end, `${check} && (`], [closeToken.start, ")"]);
      continue;
    }
    const semis: JsToken[] = [];
    let depth = 0;
    for (let j = open + 1; j < close; j++) {
      const t = tokens[j];
      if (t?.type === TokenType.parenL || t?.type === TokenType.bracketL) depth++;
      else if (t?.type === TokenType.parenR || t?.type === TokenType.bracketR) depth--;
      else if (t?.type === TokenType.braceL || t?.type === TokenType.dollarBraceL) depth++;
      else if (t?.type === TokenType.braceR) depth--;
      else if (t?.type === TokenType.semi && depth === 0) semis.push(t);
    }
    const [first, second] = semis;
    if (first !== undefined && second !== undefined) {
      const empty = js.slice(first.end, second.start).trim() === "";
      if (empty) inserts.push([first.end, ` ${check}`]);
      else inserts.push([first.end, ` ${check} && (`], [second.start, ")"]);
    } else if (tokens[close + 1]?.type === TokenType.braceL) {
      inserts.push([(tokens[close + 1] as JsToken).end, ` ${check};`]);
    }
  }
  inserts.sort((a, b) => a[0] - b[0]);
  let out = "";
  let at = 0;
  for (const [position, text] of inserts) {
    out += js.slice(at, position) + text;
    at = position;
  }
  return out + js.slice(at);
}
