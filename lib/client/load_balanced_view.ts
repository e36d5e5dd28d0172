/**
 * {@linkcode LoadBalancedView}: tasks go to whichever engine the controller's scheduler picks.
 *
 * @module
 */

import { encodeValue } from "../protocol/codec.ts";
import {
  type EngineId,
  type Hwm,
  type MsgId,
  SCHEMES,
  type TaskOptions,
} from "../protocol/messages.ts";
import { AsyncResult } from "./async_result.ts";
import {
  assertCode,
  assertOneSequence,
  functionSource,
  type RemoteFunction,
} from "./direct_view.ts";
import { chunkWrapper, describeGot, type Partitionable } from "./partition.ts";
import type { Session, TaskSpec } from "./session.ts";
import type { TaskHandle } from "./task_handle.ts";

/** Options of a load-balanced view (and of `view.with(...)`). */
export interface LoadBalancedOptions {
  /** Engines tasks may run on; all when omitted. */
  targets?: EngineId[];
  /** Scheduling scheme (one of {@linkcode SCHEMES}). @default "leastload" */
  scheme?: typeof SCHEMES[number];
  /**
   * Most outstanding tasks per engine (`0` = no limit), or `"auto"`: the controller keeps about
   * a millisecond of work queued per engine, from 2 tasks (a millisecond or longer) to 16 (tiny
   * ones). @default the controller's `--hwm`, "auto" unless set
   */
  hwm?: Hwm;
  /** Re-run a failed task on a different engine this many times. @default 0 */
  retries?: number;
  /** Stop a task still running after this long and fail it with TaskTimeout. */
  timeoutMs?: number;
  /** Run only after these tasks (results or msg ids) succeeded. */
  after?: Array<MsgId | AsyncResult<unknown>>;
  /** Run where these tasks ran, after they succeeded. */
  follow?: Array<MsgId | AsyncResult<unknown>>;
  /** Label stored with each task record. */
  label?: string;
}

/** Options of {@linkcode LoadBalancedView.map}. */
export interface MapOptions {
  /** Results in input order (true) or completion order (false). @default true */
  ordered?: boolean;
  /** Items per task. @default 1 */
  chunksize?: number;
}

/** Options of {@linkcode LoadBalancedView.imap}. */
export interface ImapOptions {
  /** Most tasks in flight at once (input is pulled lazily). @default 2 × engines, at least 4 */
  maxOutstanding?: number;
  /** Results in input order (true) or completion order (false). @default true */
  ordered?: boolean;
}

/** Longest task id the controller takes. */
const MAX_ID_LENGTH = 256;

function ids(
  list: Array<MsgId | AsyncResult<unknown>> | undefined,
  what: "after" | "follow",
): MsgId[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) {
    throw new TypeError(`Invalid '${what}': expected an array of task ids or AsyncResults`);
  }
  return list.flatMap((x) => {
    if (typeof x === "string" && x.length > 0 && x.length <= MAX_ID_LENGTH) return [x];
    if (x instanceof AsyncResult) return x.msgIds;
    throw new TypeError(
      `Invalid '${what}' entry ${
        typeof x === "string" ? JSON.stringify(x.slice(0, 40)) : String(x)
      }: expected a task id (a string of 1 to ${MAX_ID_LENGTH} characters, e.g. from ` +
        `ar.msgIds) or an AsyncResult`,
    );
  });
}

/**
 * The result of a load-balanced map: awaitable for all results, and async-iterable to consume
 * results as they arrive (in input order, or completion order when `ordered: false`).
 */
export class MapResult<R> extends AsyncResult<R[]> implements AsyncIterable<R> {
  #chunks: AsyncResult<R[]>[];
  #ordered: boolean;
  /**
   * @param session The session.
   * @param chunks One single-task result per chunk.
   * @param ordered Order of iteration.
   */
  constructor(
    session: Session,
    chunks: AsyncResult<R[]>[],
    ordered: boolean,
    handles: ConstructorParameters<typeof AsyncResult<R[]>>[1],
  ) {
    super(session, handles, (v) => (v as R[][]).flat(1), "map");
    this.#chunks = chunks;
    this.#ordered = ordered;
  }

  /** Yields results as they arrive. */
  async *[Symbol.asyncIterator](): AsyncIterator<R> {
    if (this.#ordered) {
      for (const c of this.#chunks) yield* await c;
      return;
    }
    const pending = new Map(this.#chunks.map((c, i) => [i, c.then((v) => ({ i, v }))]));
    while (pending.size > 0) {
      const { i, v } = await Promise.race(pending.values());
      pending.delete(i);
      yield* v;
    }
  }
}

/** Submits tasks that the controller places on engines by load. */
export class LoadBalancedView {
  #session: Session;
  #options: LoadBalancedOptions;
  /** Unfinished tasks of this view and of the views made from it with `with()`. */
  #open: Map<MsgId, TaskHandle>;

  /**
   * @param session The client's session.
   * @param options View options.
   * @param open Unfinished tasks shared with the view this one derives from (internal).
   */
  constructor(
    session: Session,
    options: LoadBalancedOptions = {},
    open: Map<MsgId, TaskHandle> = new Map(),
  ) {
    this.#session = session;
    this.#options = { ...options };
    this.#open = open;
    // validate now, not at the first call
    ids(options.after, "after");
    ids(options.follow, "follow");
    for (const k of ["retries", "timeoutMs", "hwm"] as const) {
      const v = options[k];
      if (k === "hwm" && v === "auto") continue;
      if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v >= 0)) {
        throw new RangeError(`Invalid '${k}': expected a number >= 0, got ${v}`);
      }
    }
    if (options.label !== undefined && typeof options.label !== "string") {
      throw new TypeError(`Invalid 'label': expected a string, got ${describeGot(options.label)}`);
    }
    const scheme = options.scheme as string | undefined;
    if (scheme !== undefined && !(SCHEMES as readonly string[]).includes(scheme)) {
      throw new RangeError(`Invalid 'scheme': "${scheme}" is not one; use ${SCHEMES.join(", ")}`);
    }
    const targets = options.targets as unknown;
    if (
      targets !== undefined &&
      !(Array.isArray(targets) && targets.every((t) => Number.isInteger(t) && t >= 0))
    ) {
      throw new TypeError(
        `Invalid 'targets': expected a list of engine ids (integers >= 0, see client.ids), ` +
          `got ${Array.isArray(targets) ? `[${targets.join(", ")}]` : String(targets)}`,
      );
    }
  }

  /** Ids of this view's tasks that have not finished. */
  get outstanding(): MsgId[] {
    return [...this.#open.keys()];
  }

  #submit(specs: TaskSpec[]): TaskHandle[] {
    const handles = this.#session.submit(specs);
    for (const h of handles) {
      this.#open.set(h.msgId, h);
      h.done.then(() => this.#open.delete(h.msgId));
    }
    return handles;
  }

  /** This view's options. */
  get options(): Readonly<LoadBalancedOptions> {
    return this.#options;
  }

  /**
   * A new view with some options changed, e.g. `lv.with({ timeoutMs: 300 }).apply(fn)`.
   *
   * @param overrides Options to change.
   */
  with(overrides: LoadBalancedOptions): LoadBalancedView {
    return new LoadBalancedView(this.#session, { ...this.#options, ...overrides }, this.#open);
  }

  #lb(): TaskOptions {
    const o = this.#options;
    const lb: TaskOptions = {};
    if (o.targets) lb.targets = [...o.targets];
    if (o.scheme) lb.scheme = o.scheme;
    if (o.hwm !== undefined) lb.hwm = o.hwm;
    if (o.retries) lb.retries = o.retries;
    if (o.timeoutMs) lb.timeoutMs = o.timeoutMs;
    const after = ids(o.after, "after");
    const follow = ids(o.follow, "follow");
    if (after?.length) lb.after = after;
    if (follow?.length) lb.follow = follow;
    return lb;
  }

  #spec(fn: string, args: unknown[]): TaskSpec {
    return {
      op: { kind: "apply", fn, args: encodeValue(args) },
      lb: this.#lb(),
      ...(this.#options.label ? { label: this.#options.label } : {}),
    };
  }

  /**
   * Runs `fn(...args)` once, on whichever engine the scheduler picks.
   *
   * @param fn The function (sent as source).
   * @param args Its arguments.
   */
  apply<F extends RemoteFunction>(
    fn: F,
    ...args: Parameters<F>
  ): AsyncResult<Awaited<ReturnType<F>>> {
    const [h] = this.#submit([this.#spec(functionSource(fn), args)]);
    return new AsyncResult(this.#session, [h!], (v) => v[0] as Awaited<ReturnType<F>>, "apply");
  }

  /**
   * Runs `code` once on whichever engine the scheduler picks.
   *
   * @param code The code.
   * @throws {TypeError} At once, when `code` is not a string.
   */
  execute(code: string): AsyncResult<unknown> {
    assertCode(code, "execute()");
    const [h] = this.#submit([{
      op: { kind: "execute", code },
      lb: this.#lb(),
      ...(this.#options.label ? { label: this.#options.label } : {}),
    }]);
    return new AsyncResult(this.#session, [h!], (v) => v[0], "execute");
  }

  /**
   * Applies `fn` to every item, `chunksize` items per task.
   *
   * @param fn The function (sent as source).
   * @param array The inputs: one array (or typed array), as for `DirectView.map`; to map over
   *   several, zip them into one array of tuples; for any other iterable, use `imap`.
   * @param options Ordering and chunking.
   * @throws {TypeError} At once, when `array` is not an array, `options` is not an object
   *   (e.g. a second array), or `ordered` is not a boolean.
   * @throws {RangeError} At once, when `chunksize` is not an integer >= 1.
   */
  map<T, R>(
    fn: (item: T) => R | Promise<R>,
    array: readonly T[],
    options: MapOptions = {},
  ): MapResult<Awaited<R>> {
    assertOneSequence("LoadBalancedView.map()", arguments.length, " { ordered, chunksize }");
    if (!isOptions(options)) {
      const second = Array.isArray(options) || ArrayBuffer.isView(options);
      throw new TypeError(
        `LoadBalancedView.map() takes options { ordered, chunksize } after the array, but got ` +
          (second
            ? "a second array; maps take one array of inputs: to map over several, zip them " +
              "into one array of tuples: map(([a, b]) => …, xs.map((x, i) => [x, ys[i]]))"
            : describeGot(options)),
      );
    }
    if (!Array.isArray(array) && !(ArrayBuffer.isView(array) && !(array instanceof DataView))) {
      throw new TypeError(
        `LoadBalancedView.map() takes an array or a typed array of inputs, but got ` +
          `${describeGot(array)}; pass an array of the items (e.g. Array.from(value)), or use ` +
          `imap() to map over an iterable lazily`,
      );
    }
    const chunksize = options.chunksize ?? 1;
    if (!Number.isSafeInteger(chunksize) || chunksize < 1) {
      throw new RangeError(
        `Invalid 'chunksize': expected an integer >= 1 (items per task), got ${
          typeof chunksize === "number" ? chunksize : describeGot(chunksize)
        }`,
      );
    }
    if (options.ordered !== undefined && typeof options.ordered !== "boolean") {
      throw new TypeError(
        `Invalid 'ordered': expected true or false, got ${describeGot(options.ordered)}`,
      );
    }
    const items = array as Partitionable;
    const wrapper = chunkWrapper(functionSource(fn));
    const specs: TaskSpec[] = [];
    for (let i = 0; i < items.length; i += chunksize) {
      const part = ArrayBuffer.isView(items)
        ? items.subarray(i, i + chunksize)
        : items.slice(i, i + chunksize);
      specs.push(this.#spec(wrapper, [part]));
    }
    const handles = this.#submit(specs);
    const chunks = handles.map((h) =>
      new AsyncResult<Awaited<R>[]>(this.#session, [h], (v) => v[0] as Awaited<R>[], "map")
    );
    return new MapResult<Awaited<R>>(this.#session, chunks, options.ordered ?? true, handles);
  }

  /**
   * Lazily maps over any (possibly infinite) iterable, keeping at most `maxOutstanding` tasks
   * in flight; input is pulled only as results are consumed.
   *
   * @param fn The function (sent as source).
   * @param iterable The inputs.
   * @param options Flow control and ordering.
   * @throws {TypeError} At the first `next()`, when `iterable` is not iterable.
   * @throws {RangeError} At the first `next()`, when `maxOutstanding` is not an integer >= 1.
   */
  async *imap<T, R>(
    fn: (item: T) => R | Promise<R>,
    iterable: Iterable<T> | AsyncIterable<T>,
    options: ImapOptions = {},
  ): AsyncGenerator<Awaited<R>> {
    const src = functionSource(fn);
    const given = iterable as unknown as Record<symbol, unknown> | null;
    if (
      given === null || typeof given !== "object" ||
      (typeof given[Symbol.iterator] !== "function" &&
        typeof given[Symbol.asyncIterator] !== "function")
    ) {
      throw new TypeError(
        `imap() takes an iterable or async iterable of inputs (an array, a Set, a generator…), ` +
          `but got ${describeGot(iterable)}${
            typeof iterable === "string" ? "; to map over its characters, pass [...text]" : ""
          }`,
      );
    }
    const max = options.maxOutstanding ?? Math.max(4, 2 * this.#session.engines.length);
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new RangeError(
        `Invalid 'maxOutstanding': expected an integer >= 1 (tasks in flight), got ${
          typeof max === "number" ? max : describeGot(max)
        }`,
      );
    }
    const ordered = options.ordered ?? true;
    const it = Symbol.asyncIterator in iterable
      ? (iterable as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (iterable as Iterable<T>)[Symbol.iterator]();
    const inflight: { n: number; ar: AsyncResult<Awaited<R>> }[] = [];
    let n = 0;
    let exhausted = false;
    const fill = async () => {
      while (!exhausted && inflight.length < max) {
        const next = await it.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const [h] = this.#submit([this.#spec(src, [next.value])]);
        inflight.push({
          n: n++,
          ar: new AsyncResult(this.#session, [h!], (v) => v[0] as Awaited<R>, "imap"),
        });
      }
    };
    try {
      await fill();
      while (inflight.length > 0) {
        let idx = 0;
        if (!ordered) {
          idx = await Promise.race(inflight.map((x, i) => x.ar.wait().then(() => i)));
        }
        const [item] = inflight.splice(idx, 1);
        const value = await item!.ar;
        yield value;
        await fill();
      }
    } finally {
      const open = inflight.flatMap((x) => x.ar.msgIds);
      if (open.length) this.#session.abort(open);
    }
  }

  /**
   * Aborts every unfinished task of this view (and of views made from it with `with()`):
   * queued ones fail with TaskAborted, running ones are stopped. Resolves when all have
   * settled.
   */
  async abort(): Promise<void> {
    const handles = [...this.#open.values()];
    if (handles.length === 0) return;
    this.#session.abort(handles.map((h) => h.msgId));
    await Promise.all(handles.map((h) => h.done));
  }
}

function isOptions(v: unknown): v is MapOptions {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !ArrayBuffer.isView(v);
}
