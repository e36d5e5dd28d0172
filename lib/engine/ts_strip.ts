/**
 * Turns the TypeScript a user types into JavaScript the engine can evaluate, and makes its
 * loops interruptible.
 *
 * Only type syntax is removed (annotations, interfaces, `as`, generics, `enum` is lowered);
 * modern JavaScript is left alone, so top-level `await` and the value of the last expression
 * survive. Line numbers are preserved, so stack traces point at the user's lines.
 *
 * Loops get a call to {@linkcode INTERRUPT_CHECK} in their condition (or at the top of their
 * body for `for…of`/`for…in` with a block body). Deno (2.9) cannot stop a Worker that spins
 * in JavaScript (`worker.terminate()` leaves the thread running, denoland/deno PR #35657), so
 * the Worker checks a shared flag there and closes itself.
 *
 * @module
 */

import {
  stripTypes as stripSyntax,
  TypeScriptSyntaxError,
  wrapObjectLiteral,
} from "../evaluate/typescript.ts";

export { TypeScriptSyntaxError };
// @ts-types="sucrase/dist/types/parser/index.d.ts"
import { parse } from "sucrase/dist/parser/index.js";
// @ts-types="sucrase/dist/types/parser/tokenizer/types.d.ts"
import { TokenType } from "sucrase/dist/parser/tokenizer/types.js";

/** Name of the global function the instrumented loops call; it returns `true`. */
export const INTERRUPT_CHECK = "$ipx$tick";

/**
 * Removes TypeScript type syntax from a cell of code; a cell that is `{ … }` and parses as an
 * object literal is read as one (`{ a: 1 }` gives the object, as in the local REPL).
 *
 * @param code TypeScript or JavaScript source (a script, not a module).
 * @returns JavaScript with the same statements on the same lines.
 * @throws {TypeScriptSyntaxError} if the parser rejects the code.
 *
 * @example Usage
 * ```ts
 * import { stripTypes } from "./ts_strip.ts";
 * stripTypes("let x: number = 1;\nx + 1"); // "let x = 1;\nx + 1"
 * ```
 */
export function stripTypes(code: string): string {
  return transformOrThrow(wrapObjectLiteral(code), "code");
}

function transformOrThrow(code: string, what: string): string {
  try {
    return stripSyntax(code);
  } catch (error) {
    const e = error as TypeScriptSyntaxError;
    throw new TypeScriptSyntaxError(
      `Cannot parse the ${what}: ${e.message}; fix the syntax and run it again`,
      { cause: e.cause ?? e, ...(e.pos === undefined ? {} : { pos: e.pos }) },
    );
  }
}

/**
 * Removes TypeScript type syntax from the source of one function, for `apply`.
 *
 * The source is wrapped in parentheses so that function declarations (`function f() {}`),
 * arrows and async functions all parse as one expression. Method shorthand
 * (`name(x) { … }`, as printed by `obj.method.toString()`) is accepted too.
 *
 * @param source The function's source, e.g. from `fn.toString()`.
 * @returns A JavaScript expression that evaluates to the function.
 * @throws {TypeScriptSyntaxError} if the source is not a function expression.
 *
 * @example Usage
 * ```ts
 * import { stripFunction } from "./ts_strip.ts";
 * stripFunction("(x: number) => x + 1"); // "((x) => x + 1\n)"
 * ```
 */
export function stripFunction(source: string): string {
  const trimmed = source.trim();
  try {
    return transformOrThrow(`(${trimmed}\n)`, "function source");
  } catch (error) {
    // `name(args) { … }` is what methods print; turn it into a function expression.
    if (METHOD_SHORTHAND.test(trimmed)) {
      const asFunction = trimmed.replace(/^(async\s+)?(\*?)\s*/, "$1function$2 ");
      try {
        return transformOrThrow(`(${asFunction}\n)`, "function source");
      } catch {
        // Report the original problem.
      }
    }
    throw error;
  }
}

const METHOD_SHORTHAND = /^(async\s+)?\*?\s*[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*\s*\(/u;

interface LoopToken {
  type: number;
  start: number;
  end: number;
}

function matchingParen(tokens: readonly LoopToken[], open: number): number {
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
 * import { addInterruptChecks } from "./ts_strip.ts";
 * addInterruptChecks("while (true) {}"); // "while ($ipx$tick() && (true)) {}"
 * ```
 */
export function addInterruptChecks(js: string): string {
  let tokens: LoopToken[];
  try {
    tokens = parse(js, false, false, false).tokens;
  } catch (error) {
    throw new TypeScriptSyntaxError(
      `Cannot parse the code: ${error instanceof Error ? error.message : String(error)}; ` +
        `fix the syntax and run it again`,
      { cause: error },
    );
  }
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
    const semis: LoopToken[] = [];
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
      inserts.push([(tokens[close + 1] as LoopToken).end, ` ${check};`]);
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
