/**
 * TypeScript to JavaScript for code typed by a user (engine cells and functions, and the
 * REPL's local cells): only type syntax is removed (annotations, interfaces, `as`, generics;
 * `enum` is lowered); modern JavaScript is left alone, so top-level `await` and the value of the
 * last expression survive, and every statement stays on its line, so stack traces point at
 * the user's lines.
 *
 * @module
 */

import { transform } from "./vendor/sucrase.js";

/** The code is not valid TypeScript or JavaScript. Its `name` is `"SyntaxError"`. */
export class TypeScriptSyntaxError extends Error {
  /** 0-based offset the parser stopped at, when it said. */
  readonly pos: number | undefined;
  /**
   * @param message What is wrong and where (`line:column` from the parser).
   * @param options `pos` and standard error options (`cause` is the parser's error).
   */
  constructor(message: string, options: ErrorOptions & { pos?: number } = {}) {
    super(message, options);
    this.name = "SyntaxError";
    this.pos = options.pos;
  }
}

/**
 * Removes TypeScript type syntax.
 *
 * @param code TypeScript or JavaScript source (a script, not a module).
 * @returns JavaScript with the same statements on the same lines.
 * @throws {TypeScriptSyntaxError} with the parser's message and position when it does not
 *   parse.
 *
 * @example Usage
 * ```ts
 * import { stripTypes } from "./typescript.ts";
 * stripTypes("let x: number = 1;\nx + 1"); // "let x = 1;\nx + 1"
 * ```
 */
export function stripTypes(code: string): string {
  try {
    return transform(code, {
      transforms: ["typescript"],
      disableESTransforms: true,
      keepUnusedImports: true,
    }).code;
  } catch (error) {
    const pos = (error as { pos?: unknown }).pos;
    throw new TypeScriptSyntaxError(error instanceof Error ? error.message : String(error), {
      cause: error,
      ...(typeof pos === "number" ? { pos } : {}),
    });
  }
}

/**
 * Reads input that starts with `{` and ends with `}` as an object literal when it parses as
 * one, as Node's REPL does (`{ a: 1 }` shows the object, not `1` from a labelled block). The
 * local REPL and the engines' `execute` (`%px`) both read cells this way.
 *
 * @param code A complete cell.
 * @returns The cell in parentheses when that parses, otherwise the cell unchanged.
 *
 * @example Usage
 * ```ts
 * import { wrapObjectLiteral } from "./typescript.ts";
 * wrapObjectLiteral("{ a: 1 }"); // "({ a: 1 })"
 * wrapObjectLiteral("{ let b = 2; b }"); // unchanged: a block
 * ```
 */
export function wrapObjectLiteral(code: string): string {
  if (!/^\s*\{/.test(code) || !/\}\s*$/.test(code)) return code;
  const wrapped = `(${code})`;
  try {
    stripTypes(wrapped);
    return wrapped;
  } catch {
    return code;
  }
}
