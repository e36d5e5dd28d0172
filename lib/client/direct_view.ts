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
  concatEncodedParts,
  concatParts,
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
  if (/^\s*(class\b|function\s*\*?\s*\w*\s*\(\s*\)\s*\{\s*\[native code\]\s*\})/.test(src)) {
    throw new TypeError(
      `Cannot send ${fn.name || "this function"}: only plain functions can be sent as source`,
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

/** Runs code on a fixed set of engines (or on all engines at call time). */
export class DirectView {
  #session: Session;
  #targets: Targets;

  /**
   * @param session The client's session.
   * @param targets Which engines.
   */
  constructor(session: Session, targets: Targets = "all") {
    this.#session = session;
    this.#targets = targets;
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
   */
  execute(code: string): AsyncResult<unknown[]> {
    return this.#run({ kind: "execute", code }, "execute", (v) => v);
  }

  /**
   * Defines names in every target's namespace.
   *
   * @param ns Names and values.
   */
  push(ns: Record<string, unknown>): AsyncResult<void> {
    for (const name of Object.keys(ns)) assertIdentifier(name);
    return this.#run({ kind: "push", ns: encodeValue(ns) }, "push", () => undefined);
  }

  /**
   * Reads names from every target.
   *
   * @param names One name (→ its value per engine) or several (→ a list per engine).
   */
  pull(names: string | string[]): AsyncResult<unknown[]> {
    const list = typeof names === "string" ? [names] : names;
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
   * @param array The inputs.
   */
  map<T, R>(fn: (item: T) => R | Promise<R>, array: readonly T[]): AsyncResult<Awaited<R>[]> {
    const src = functionSource(fn);
    const targets = this.resolveTargets();
    const parts = partitionForSending(array as unknown[], targets.length);
    const wrapper = `(async (chunk) => { const f = ${src}; const out = []; ` +
      `for (const x of chunk) out.push(await f(x)); return out; })`;
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
  if (!/^[A-Za-z_$][\w$]*$/u.test(name)) {
    throw new TypeError(
      `Cannot use "${name}" as a variable name: it is not a JavaScript identifier`,
    );
  }
}
