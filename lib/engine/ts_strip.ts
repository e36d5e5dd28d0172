/**
 * Turns the TypeScript a user types into JavaScript the engine can evaluate.
 *
 * Only type syntax is removed (annotations, interfaces, `as`, generics, `enum` is lowered);
 * modern JavaScript is left alone, so top-level `await` and the value of the last expression
 * survive. Line numbers are preserved, so stack traces point at the user's lines.
 *
 * @module
 */

import { transform } from "sucrase";

/** The code is not valid TypeScript or JavaScript. Its `name` is `"SyntaxError"`. */
export class TypeScriptSyntaxError extends Error {
  /**
   * @param message What is wrong and where (`line:column` from the parser).
   * @param options Standard error options (`cause` is the parser's error).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SyntaxError";
  }
}

/**
 * Removes TypeScript type syntax from a cell of code.
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
  return transformOrThrow(code, "code");
}

function transformOrThrow(code: string, what: string): string {
  try {
    return transform(code, {
      transforms: ["typescript"],
      disableESTransforms: true,
      keepUnusedImports: true,
    }).code;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new TypeScriptSyntaxError(
      `Cannot parse the ${what}: ${message}; fix the syntax and run it again`,
      { cause: error },
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
