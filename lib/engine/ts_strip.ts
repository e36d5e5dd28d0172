/**
 * Turns the TypeScript a user types into JavaScript the engine can evaluate, and makes its
 * loops interruptible.
 *
 * Only type syntax is removed (annotations, interfaces, `as`, generics, `enum` is lowered);
 * modern JavaScript is left alone, so top-level `await` and the value of the last expression
 * survive. Line numbers are preserved, so stack traces point at the user's lines.
 *
 * Loops get a call to {@linkcode INTERRUPT_CHECK} (see `lib/evaluate/interrupt_checks.ts`,
 * shared with the REPL's local cells): the engine's Worker checks a shared flag there and
 * closes itself.
 *
 * @module
 */

import {
  stripTypes as stripSyntax,
  TypeScriptSyntaxError,
  wrapObjectLiteral,
} from "../evaluate/typescript.ts";

export { TypeScriptSyntaxError };
export { addInterruptChecks, INTERRUPT_CHECK } from "../evaluate/interrupt_checks.ts";

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
