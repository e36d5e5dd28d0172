/**
 * {@linkcode DirectView}: run things on specific engines, each call on every target.
 *
 * @module
 */

import { encodeValue } from "../protocol/codec.ts";
import { IpxError } from "../protocol/errors.ts";
import type { EngineId, Op } from "../protocol/messages.ts";
import { AsyncResult } from "./async_result.ts";
import {
  assertPartitionable,
  chunkWrapper,
  concatEncodedParts,
  concatParts,
  describeGot,
  type Partitionable,
  partitionForSending,
} from "./partition.ts";
import type { Session } from "./session.ts";

/** Which engines a view addresses: `"all"` (evaluated at each call), one id, or a list. */
export type Targets = "all" | EngineId | readonly EngineId[];

/** No engine can take the request. */
export class NoEnginesError extends IpxError {}

/** Any function that can be sent as source. */
// deno-lint-ignore no-explicit-any
export type RemoteFunction = (...args: any[]) => unknown;

function parsesAsExpression(src: string): boolean {
  try {
    new Function(`return (${src}\n);`); // parses only; nothing runs
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks that a function can be sent as source.
 *
 * @param fn The function.
 * @returns Its source.
 */
export function functionSource(fn: RemoteFunction): string {
  if (typeof fn !== "function") {
    throw new TypeError(`Cannot send a ${typeof fn} as a function: pass a function`);
  }
  const src = fn.toString();
  if (/^\s*class\b/.test(src)) {
    throw new TypeError(
      `Cannot send class ${fn.name || "(anonymous)"} as a function: only plain functions can ` +
        `be sent as source; send a function that uses it, defining the class on the engines ` +
        `first (execute)`,
    );
  }
  if (/^\s*function\s*\*?\s*[\w$]*\s*\(\s*\)\s*\{\s*\[native code\]\s*\}\s*$/.test(src)) {
    if (fn.name.startsWith("bound ")) {
      const target = fn.name.slice("bound ".length);
      throw new TypeError(
        `Cannot send a bound function${target ? ` (${target}.bind(…))` : " (made with bind())"}: ` +
          `its source is not available; send the original function and pass the bound values ` +
          `as arguments`,
      );
    }
    throw new TypeError(
      `Cannot send ${fn.name || "this function"}: it is built in (native code), so it has no ` +
        `source to send; wrap it, e.g. (...args) => ${fn.name || "f"}(...args)`,
    );
  }
  // methods written with shorthand syntax (`{ f(x) {…} }`) are not valid expressions; an
  // arrow function such as `async (x) => …` looks like one, so check that it does not parse
  if (
    /^(async\s+)?[A-Za-z_$][\w$]*\s*\(/.test(src) && !/^(async\s+)?function\b/.test(src) &&
    !parsesAsExpression(src)
  ) {
    return `(${
      src.startsWith("async") ? "async function " + src.slice(5).trimStart() : "function " + src
    })`;
  }
  return `(${src})`;
}

function isEngineId(v: unknown): v is EngineId {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Checks a view's target spec: `"all"`, an engine id or a list of them, ids being integers
 * >= 0 (as `client.ids` lists them). A negative id does not count from the end (as in
 * ipyparallel): use `client.ids.at(-1)`.
 *
 * @param targets The spec as given.
 * @returns The spec (a list copied, so later changes to the caller's array do not count).
 * @throws {TypeError} At once, naming what was wrong, for anything else.
 */
export function checkTargets(targets: unknown): Targets {
  if (targets === "all" || isEngineId(targets)) return targets;
  if (Array.isArray(targets) && targets.every(isEngineId)) return Object.freeze([...targets]);
  const bad = Array.isArray(targets) ? targets.find((t) => !isEngineId(t)) : targets;
  const got = Array.isArray(targets)
    ? `a list holding ${typeof bad === "number" ? bad : describeGot(bad)}`
    : typeof targets === "number"
    ? String(targets)
    : describeGot(targets);
  const negative = typeof bad === "number" && bad < 0
    ? " (a negative id does not count from the end: use client.ids.at(-1) for the last engine)"
    : "";
  throw new TypeError(
    `Invalid DirectView targets: expected "all", an engine id or a list of engine ids ` +
      `(integers >= 0, see client.ids), got ${got}${negative}`,
  );
}

/**
 * Throws a `TypeError` unless `code` is a string, naming what it got.
 *
 * @param code What was passed as code.
 * @param caller The call, for the message (e.g. `execute()`).
 */
export function assertCode(code: unknown, caller: string): asserts code is string {
  if (typeof code !== "string") {
    throw new TypeError(
      `${caller} takes the code as a string, but got ${describeGot(code)}; to run a function, ` +
        `use apply(fn, ...args)`,
    );
  }
}

/** Runs code on a fixed set of engines (or on all engines at call time). */
export class DirectView {
  #session: Session;
  #targets: Targets;

  /**
   * @param session The client's session.
   * @param targets Which engines.
   * @throws {TypeError} At once, when `targets` is not `"all"`, an engine id (an integer >= 0)
   *   or a list of them.
   */
  constructor(session: Session, targets: Targets = "all") {
    this.#session = session;
    this.#targets = checkTargets(targets);
  }

  /** The target spec this view was made with. */
  get targets(): Targets {
    return this.#targets;
  }

  /** The engine ids a call made now would go to. */
  resolveTargets(): EngineId[] {
    const live = this.#session.engines.map((e) => e.id);
    if (this.#targets === "all") {
      if (live.length === 0) {
        throw new NoEnginesError(
          "No engines are registered: start some with `ipx engine --n 2` (or " +
            "`ipx cluster start --n 4`) and wait for them with client.waitForEngines(n)",
        );
      }
      return live;
    }
    const ids = typeof this.#targets === "number" ? [this.#targets] : [...this.#targets];
    if (ids.length === 0) throw new NoEnginesError("This view has an empty target list");
    return ids;
  }

  #run<T>(
    ops: Op[] | Op,
    label: string,
    combine: (values: unknown[]) => T,
    combineEncoded?: (encoded: Uint8Array[]) => T | undefined,
  ): AsyncResult<T> {
    const targets = this.resolveTargets();
    const handles = this.#session.submit(
      targets.map((engineId, i) => ({ engineId, op: Array.isArray(ops) ? ops[i]! : ops })),
    );
    return new AsyncResult(this.#session, handles, combine, label, combineEncoded);
  }

  /**
   * Calls `fn(...args)` on every target. The function is sent as source and evaluated in the
   * engine's namespace: it sees pushed names but not the client's variables.
   *
   * @param fn The function.
   * @param args Its arguments (sent as values).
   * @returns One result per engine.
   */
  apply<F extends RemoteFunction>(
    fn: F,
    ...args: Parameters<F>
  ): AsyncResult<Awaited<ReturnType<F>>[]> {
    const op: Op = { kind: "apply", fn: functionSource(fn), args: encodeValue(args) };
    return this.#run(op, "apply", (v) => v as Awaited<ReturnType<F>>[]);
  }

  /**
   * Runs code (TypeScript or JavaScript) in every target's namespace.
   *
   * @param code The code; the value of its last expression is the result.
   * @throws {TypeError} At once, when `code` is not a string.
   */
  execute(code: string): AsyncResult<unknown[]> {
    assertCode(code, "execute()");
    return this.#run({ kind: "execute", code }, "execute", (v) => v);
  }

  /**
   * Defines names in every target's namespace.
   *
   * @param ns Names and values.
   * @throws {TypeError} At once, when `ns` is not an object or a name is not an identifier.
   */
  push(ns: Record<string, unknown>): AsyncResult<void> {
    if (ns === null || typeof ns !== "object" || Array.isArray(ns)) {
      throw new TypeError(
        `push() takes an object of names and values, e.g. push({ a: 1 }), but got ` +
          `${Array.isArray(ns) ? "an array" : describeGot(ns)}`,
      );
    }
    for (const name of Object.keys(ns)) assertIdentifier(name);
    return this.#run({ kind: "push", ns: encodeValue(ns) }, "push", () => undefined);
  }

  /**
   * Reads names from every target.
   *
   * @param names One name (→ its value per engine) or several (→ a list per engine).
   * @throws {TypeError} At once, when `names` is neither a name nor a list of names.
   */
  pull(names: string | string[]): AsyncResult<unknown[]> {
    if (typeof names !== "string" && !Array.isArray(names)) {
      throw new TypeError(
        `pull() takes a variable name or a list of them, e.g. pull("a") or pull(["a", "b"]), ` +
          `but got ${describeGot(names)}`,
      );
    }
    const list = typeof names === "string" ? [names] : [...names];
    for (const n of list) assertIdentifier(n);
    return this.#run(
      { kind: "pull", names: list },
      "pull",
      (v) => typeof names === "string" ? v.map((x) => (x as unknown[])[0]) : v,
    );
  }

  /**
   * Splits `array` contiguously across the targets (the first `len % n` get one extra) and
   * defines `name` as each engine's part.
   *
   * @param name Name to define.
   * @param array Array or typed array.
   * @throws {TypeError} At once, when `array` is neither (a string, a number, a `DataView`…).
   */
  scatter(name: string, array: Partitionable): AsyncResult<void> {
    assertIdentifier(name);
    assertPartitionable(array, "scatter()");
    const targets = this.resolveTargets();
    const parts = partitionForSending(array, targets.length);
    const ops: Op[] = parts.map((p) => ({ kind: "push", ns: encodeValue({ [name]: p }) }));
    const handles = this.#session.submit(targets.map((engineId, i) => ({ engineId, op: ops[i]! })));
    return new AsyncResult(this.#session, handles, () => undefined, "scatter");
  }

  /**
   * Reads `name` from every target and joins the parts in target order.
   *
   * @param name The name.
   */
  gather(name: string): AsyncResult<unknown> {
    assertIdentifier(name);
    return this.#run(
      { kind: "pull", names: [name] },
      "gather",
      (v) => concatParts(v.map((x) => (x as unknown[])[0])),
      concatEncodedParts,
    );
  }

  /**
   * Applies `fn` to every element, spreading the array across the targets; results come back
   * in input order.
   *
   * @param fn The function (sent as source).
   * @param array The inputs: one array (or typed array). To map over several, zip them into
   *   one array of tuples: `map(([a, b]) => a + b, xs.map((x, i) => [x, ys[i]]))`.
   * @throws {TypeError} At once, when `array` is not an array or more arguments are passed.
   */
  map<T, R>(fn: (item: T) => R | Promise<R>, array: readonly T[]): AsyncResult<Awaited<R>[]> {
    assertOneSequence("DirectView.map()", arguments.length, "");
    const src = functionSource(fn);
    assertPartitionable(array, "map()");
    const targets = this.resolveTargets();
    const parts = partitionForSending(array as unknown[], targets.length);
    const wrapper = chunkWrapper(src);
    const ops: Op[] = parts.map((p) => ({ kind: "apply", fn: wrapper, args: encodeValue([p]) }));
    const handles = this.#session.submit(targets.map((engineId, i) => ({ engineId, op: ops[i]! })));
    return new AsyncResult(
      this.#session,
      handles,
      (v) => (v as unknown[][]).flat(1) as Awaited<R>[],
      "map",
    );
  }

  /** Clears every target's namespace. */
  clear(): AsyncResult<void> {
    return this.#run({ kind: "clear" }, "clear", () => undefined);
  }

  /** Names defined in each target's namespace (for completion). */
  names(): AsyncResult<string[][]> {
    return this.#run({ kind: "names" }, "names", (v) => v as string[][]);
  }
}

/**
 * Throws unless `name` is a valid JavaScript identifier.
 *
 * @param name A variable name.
 */
export function assertIdentifier(name: string): void {
  if (typeof name !== "string") {
    throw new TypeError(`Cannot use ${describeGot(name)} as a variable name: pass a string`);
  }
  if (!/^[A-Za-z_$][\w$]*$/u.test(name)) {
    throw new TypeError(
      `Cannot use "${name}" as a variable name: it is not a JavaScript identifier`,
    );
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw new TypeError(
      `Cannot use "${name.slice(0, 20)}…" as a variable name: it has ${name.length} ` +
        `characters, and the controller takes names of at most ${MAX_NAME_LENGTH}`,
    );
  }
}

/** Longest name the controller takes in a pull (and so the longest that can be read back). */
const MAX_NAME_LENGTH = 256;

/**
 * Throws a `TypeError` when a map was called with more than one sequence: maps take one array,
 * and a second one would otherwise be taken for something else (or ignored) without a word.
 *
 * @param caller The call, for the message.
 * @param argc How many arguments it got.
 * @param optionsHint What else the call takes after the array (e.g. `, { ordered, chunksize }`).
 */
export function assertOneSequence(caller: string, argc: number, optionsHint: string): void {
  if (argc <= (optionsHint ? 3 : 2)) return;
  throw new TypeError(
    `${caller} takes one array of inputs${optionsHint ? ` and then options${optionsHint}` : ""}, ` +
      `but got ${argc - 1} arguments after the function; to map over several arrays, zip them ` +
      `into one array of tuples: map(([a, b]) => …, xs.map((x, i) => [x, ys[i]]))`,
  );
}
