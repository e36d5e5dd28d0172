/**
 * The REPL's local namespace: cells run in this process the way the engines run theirs —
 * types stripped, then V8's REPL mode through `node:inspector` (`Runtime.evaluate` with
 * `replMode`), so top-level `await` works and `let`/`const` persist (and may be redeclared).
 * The last expression's value is the cell's value; a cell like `{ a: 1 }` is an object, as in
 * Node's REPL. A relative `import("./m.ts")` in a cell is taken from the current directory at the
 * time the cell runs, as in `deno repl` (see `lib/evaluate/import_from_cwd.ts`).
 *
 * @module
 */

import { Session } from "node:inspector";
import { setImmediate } from "node:timers";
import type { EvalResult, RemoteObject } from "../evaluate/inspector_types.ts";
import { routeDynamicImports } from "../evaluate/dynamic_imports.ts";
import { defineImportScript, resolveFromCwd } from "../evaluate/import_from_cwd.ts";
import { addInterruptChecks } from "../evaluate/interrupt_checks.ts";
import { LocalNamespaceError } from "./errors.ts";
import { LocalInterrupt } from "./local_interrupt.ts";
import { stripTypes, wrapObjectLiteral } from "./ts_source.ts";

/** A cell's outcome: its value, or what it threw. */
export type LocalOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const GROUP = "ipx-repl";

/** Evaluates TypeScript cells in a persistent namespace of this process. */
export class LocalEvaluator implements Disposable {
  #session: Session;
  #bridge: { value: unknown; result: unknown; resolve: typeof resolveFromCwd } = {
    value: undefined,
    result: undefined,
    resolve: resolveFromCwd,
  };
  #bridgeId = "";
  #closed = false;
  #interrupt: LocalInterrupt | undefined;

  private constructor() {
    this.#session = new Session();
    this.#session.connect();
  }

  /** Signals for the cells: Ctrl-C stops a cell's loops (see `local_interrupt.ts`). */
  get interrupt(): LocalInterrupt {
    if (!this.#interrupt) throw new Error("the evaluator is closed");
    return this.#interrupt;
  }

  /**
   * Opens an inspector session on this process.
   *
   * @returns A ready evaluator.
   * @throws {LocalNamespaceError} when the inspector cannot be reached.
   */
  static async create(): Promise<LocalEvaluator> {
    let ev: LocalEvaluator;
    try {
      ev = new LocalEvaluator();
    } catch (error) {
      throw new LocalNamespaceError(
        `Cannot open an inspector session for the local namespace: ${
          error instanceof Error ? error.message : String(error)
        }; run ipx with --allow-sys (the ./ipx launcher does)`,
        { cause: error },
      );
    }
    const key = Symbol.for(`ipx.repl.bridge.${crypto.randomUUID()}`);
    Object.defineProperty(globalThis, key, { value: ev.#bridge, configurable: true });
    const bridge = `globalThis[Symbol.for(${JSON.stringify(key.description)})]`;
    try {
      const found = await ev.#evaluate({
        expression: bridge,
        objectGroup: "ipx-repl-bridge",
      });
      if (!found.result.objectId) {
        throw new LocalNamespaceError(
          "Cannot set up the local namespace: the inspector did not return the bridge object; " +
            "run ipx with --allow-sys (the ./ipx launcher does)",
        );
      }
      ev.#bridgeId = found.result.objectId;
      // defined by a script like the cells, so that its import() resolves as theirs would
      const defined = await ev.#evaluate({
        expression: defineImportScript(`${bridge}.resolve`),
      });
      if (defined.exceptionDetails) {
        throw new LocalNamespaceError(
          `Cannot set up the local namespace's import(): ${defined.exceptionDetails.text}`,
        );
      }
      ev.#interrupt = await LocalInterrupt.start();
    } catch (error) {
      ev.close();
      throw error;
    } finally {
      delete (globalThis as Record<symbol, unknown>)[key];
    }
    return ev;
  }

  #post<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return new Promise((resolve, reject) => {
      this.#session.post(method, params, (error: Error | null, result: unknown) => {
        if (error) reject(error);
        else resolve(result as T);
      });
    });
  }

  /**
   * Sends `Runtime.evaluate` from a macrotask of its own. Deno 2.9.6 aborts the whole process
   * now and then ("Fatal error: Invoke in DisallowJavascriptExecutionScope") when a REPL-mode
   * evaluation is posted from the microtasks that follow an earlier command's reply, as one
   * cell's after another's is when cells are piped in back to back. Measured: 60,000 cells in a
   * row crashed 2 runs of 3, and 30,000 bare REPL-mode evaluations (each followed by a lookup
   * and a release, as a cell with an object value is) 7 of 10; with the evaluation posted after
   * a `setImmediate`, none of 18 runs did. The commands that follow an evaluation (bringing its
   * value here, releasing it) stay in its microtasks: a macrotask between them would let a
   * Ctrl-C or Ctrl-\ handled there take the cell for one still waiting on a promise.
   */
  async #evaluate(params: Record<string, unknown>): Promise<EvalResult> {
    await nextMacrotask();
    return await this.#post<EvalResult>("Runtime.evaluate", params);
  }

  /** Brings a value here; boxed, so that a promise or thenable is not awaited on the way. */
  async #localize(remote: RemoteObject): Promise<{ value: unknown }> {
    if (remote.objectId === undefined) {
      const text = remote.unserializableValue;
      if (text === undefined) {
        return { value: remote.type === "undefined" ? undefined : remote.value };
      }
      if (text.endsWith("n")) return { value: BigInt(text.slice(0, -1)) };
      return { value: text === "-0" ? -0 : Number(text) };
    }
    await this.#post("Runtime.callFunctionOn", {
      objectId: this.#bridgeId,
      functionDeclaration: "function (v) { this.result = v; }",
      arguments: [{ objectId: remote.objectId }],
      objectGroup: GROUP,
    });
    const value = this.#bridge.result;
    this.#bridge.result = undefined;
    return { value };
  }

  async #settle(outcome: EvalResult): Promise<LocalOutcome> {
    try {
      if (outcome.exceptionDetails) {
        const thrown = outcome.exceptionDetails.exception;
        return {
          ok: false,
          error: thrown
            ? (await this.#localize(thrown)).value
            : new Error(outcome.exceptionDetails.text),
        };
      }
      return { ok: true, value: (await this.#localize(outcome.result)).value };
    } finally {
      await this.#post("Runtime.releaseObjectGroup", { objectGroup: GROUP });
    }
  }

  /**
   * Runs a cell.
   *
   * @param code TypeScript or JavaScript.
   * @returns Its value, or what it threw (a `SyntaxError` when it does not parse); never
   * rejects for failures of the cell.
   */
  async evaluate(code: string): Promise<LocalOutcome> {
    let js: string;
    try {
      js = routeDynamicImports(addInterruptChecks(stripTypes(wrapObjectLiteral(code))));
    } catch (error) {
      return { ok: false, error };
    }
    await nextMacrotask(); // see #evaluate; before the cell begins, so a Ctrl-C now stops it
    const cell = this.interrupt.begin();
    try {
      const outcome = await this.#post<EvalResult>("Runtime.evaluate", {
        expression: js,
        replMode: true,
        awaitPromise: true,
        objectGroup: GROUP,
      });
      return await this.#settle(outcome);
    } finally {
      this.interrupt.end(cell);
    }
  }

  /**
   * Binds a name in the namespace (assigning to a `let` of that name when there is one).
   *
   * @param name An identifier.
   * @param value The value.
   * @throws {TypeError} when the name is not an identifier or is a `const`.
   */
  async assign(name: string, value: unknown): Promise<void> {
    if (!/^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u.test(name)) {
      throw new TypeError(`Cannot bind "${name}": it is not a variable name`);
    }
    this.#bridge.value = value;
    try {
      const done = await this.#post<EvalResult>("Runtime.callFunctionOn", {
        objectId: this.#bridgeId,
        functionDeclaration: `function () { ${name} = this.value; }`,
        objectGroup: GROUP,
      });
      const outcome = await this.#settle(done);
      if (!outcome.ok) {
        throw new TypeError(
          `Cannot bind "${name}": ${(outcome.error as Error)?.message ?? outcome.error}; ` +
            `it is probably a const: choose another name with -o NAME`,
          { cause: outcome.error },
        );
      }
    } finally {
      this.#bridge.value = undefined;
    }
  }

  /**
   * The names defined in the namespace: declared `let`/`const`/`class` names and globals (not
   * ipx's own `$ipx$…` hooks that rewritten cells call).
   *
   * @returns Sorted, unique names.
   */
  async names(): Promise<string[]> {
    const lexical = await this.#post<{ names: string[] }>("Runtime.globalLexicalScopeNames");
    const globals = Object.getOwnPropertyNames(globalThis);
    return [...new Set([...lexical.names, ...globals])]
      .filter((n) => /^[\p{L}$_]/u.test(n) && !n.startsWith("$ipx$")).sort();
  }

  /**
   * The property names of an expression's value, for completing `expr.`; the expression is
   * evaluated only if V8 can prove it has no side effects.
   *
   * @param expression E.g. `dv` or `rc.engines`.
   * @returns Property names along the prototype chain, or [] when it cannot be evaluated.
   */
  async properties(expression: string): Promise<string[]> {
    const outcome = await this.#evaluate({
      expression,
      throwOnSideEffect: true,
      objectGroup: GROUP,
    }).then((r) => this.#settle(r), () => undefined);
    if (!outcome?.ok || outcome.value === null || outcome.value === undefined) return [];
    const names = new Set<string>();
    for (let o: unknown = Object(outcome.value); o; o = Object.getPrototypeOf(o)) {
      if (o === Object.prototype) break;
      for (const n of Object.getOwnPropertyNames(o)) {
        if (n !== "constructor" && !n.startsWith("#") && /^[\p{L}$_]/u.test(n)) names.add(n);
      }
    }
    return [...names].sort();
  }

  /** Closes the inspector session. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#session.disconnect();
    this.#interrupt?.[Symbol.dispose]();
    this.#interrupt = undefined;
  }

  /** Closes the inspector session. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Resolves in a later macrotask (see `LocalEvaluator.#evaluate`). */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
