/**
 * The engine's source preparation for `execute` and `apply` (types stripped, loop interrupt
 * checks added, dynamic imports routed; see `ts_strip.ts`), loaded on demand: its parser
 * (sucrase, bundled into one module: `lib/evaluate/vendor/sucrase.js`) costs an engine ~35 ms
 * to load. `Executor.create` starts loading it on the main thread right after it creates the
 * code Worker, so the two overlap, and the engine process waits for it before it registers
 * (`process_main.ts`): loading holds the main thread for that long, which a registered engine
 * cannot spare (its heartbeats would go unanswered; loading after registration made engines
 * miss a 600 ms liveness deadline on a loaded machine, and loading on the first op, 64 engines
 * at once, missed a 1.5 s one in e7ff460). An executor whose preparation has not loaded yet
 * makes its first `execute` or `apply` wait for it.
 *
 * @module
 */

/** Prepares a cell (`execute`) or a function's source (`apply`) for the code Worker. */
export type Prepare = (kind: "execute" | "apply", source: string) => string;

async function loadModules(): Promise<Prepare> {
  const [strip, imports] = await Promise.all([
    import("./ts_strip.ts"),
    import("../evaluate/dynamic_imports.ts"),
  ]);
  return (kind, source) =>
    imports.routeDynamicImports(
      strip.addInterruptChecks(
        kind === "execute" ? strip.stripTypes(source) : strip.stripFunction(source),
      ),
    );
}

/** Most prepared sources kept, by original source (a loop of `apply(f)` prepares `f` once). */
const PREPARED_LIMIT = 512;

/**
 * Source preparation that is loaded once, on the first {@linkcode SourcePreparer.load}, and
 * remembers what it prepared.
 */
export class SourcePreparer {
  #loader: () => Promise<Prepare>;
  #prepare: Prepare | undefined;
  #failure: Error | undefined;
  #loading: Promise<void> | undefined;
  #prepared = new Map<string, string>();

  /** @param loader Loads the preparation (tests inject one; the default imports sucrase). */
  constructor(loader: () => Promise<Prepare> = loadModules) {
    this.#loader = loader;
  }

  /**
   * Loads the preparation, once: later calls return the same promise. Never rejects: a failure
   * is kept, and {@linkcode SourcePreparer.prepare} reports it for every op after.
   */
  load(): Promise<void> {
    this.#loading ??= this.#loader().then(
      (prepare) => {
        this.#prepare = prepare;
      },
      (error) => {
        this.#failure = error instanceof Error ? error : new Error(String(error));
      },
    );
    return this.#loading;
  }

  /** Why loading failed, once it has. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** True once {@linkcode SourcePreparer.load} has finished (loaded, or failed). */
  get settled(): boolean {
    return this.#prepare !== undefined || this.#failure !== undefined;
  }

  /**
   * Prepares a source (or returns what it prepared for the same source before).
   *
   * @throws {TypeScriptSyntaxError} when the source does not parse.
   * @throws {Error} named `ExecutorStartError` when the preparation could not be loaded, or
   *   has not been loaded yet (callers await {@linkcode SourcePreparer.load} first).
   */
  prepare(kind: "execute" | "apply", source: string): string {
    if (this.#prepare !== undefined) {
      const key = `${kind}\u0000${source}`;
      let out = this.#prepared.get(key);
      if (out === undefined) {
        out = this.#prepare(kind, source);
        this.#prepared.set(key, out);
        if (this.#prepared.size > PREPARED_LIMIT) {
          this.#prepared.delete(this.#prepared.keys().next().value!);
        }
      }
      return out;
    }
    const failure = this.#failure;
    const error = new Error(
      failure === undefined
        ? "the engine's TypeScript stripper is not loaded yet (an internal error)"
        : `the engine cannot prepare code: loading its TypeScript stripper failed ` +
          `(${failure.message}); restart the engine`,
      failure === undefined ? {} : { cause: failure },
    );
    error.name = "ExecutorStartError";
    throw error;
  }
}

/** The engine process's one source preparation. */
export const stripper: SourcePreparer = new SourcePreparer();
