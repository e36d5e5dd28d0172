/**
 * Entry point of the Worker that runs user code for an {@linkcode Executor}. Never import it
 * for its values; only its types are shared (`import type`).
 *
 * User code is evaluated through the V8 inspector (`Runtime.evaluate` with `replMode`), so
 * top-level `let`/`const`/`class`/`function` persist between operations and top-level `await`
 * works. Values cross between user code and this module through a bridge object that only the
 * inspector can reach (its objectId is taken once at start-up and no global refers to it); the
 * session and the bridge are `inspector_bridge.ts`.
 *
 * Messages: the executor sends {@linkcode WorkerRequest}s, several ahead when ops are small; the
 * Worker runs them one at a time, in order, and answers with `ready` once, `stream` chunks while
 * an op runs, and one `done` or `skipped` per op (see `op_slots.ts` for when an op is skipped).
 *
 * @module
 */

import process from "node:process";
import { DYNAMIC_IMPORT, resolveFromCwd } from "../evaluate/import_from_cwd.ts";
import { decodeValue, encodeValue } from "../protocol/codec.ts";
import { typeName } from "../protocol/codec_describe.ts";
import { RemoteRepr } from "../protocol/remote_repr.ts";
import { SPARE_IDLE_MS, SPARE_MIN_BYTES, SpareBuffers } from "./spare_buffers.ts";
import type { ErrorData } from "../protocol/errors.ts";
import { captureStdio, createCaptureConsole, type StreamName } from "./console_capture.ts";
import type { RemoteObject } from "../evaluate/inspector_types.ts";
import { InspectorBridge } from "./inspector_bridge.ts";
import { describeUncaught, toErrorData } from "./worker_errors.ts";
import { IDLE_OUTPUT_HEADER } from "./idle_header.ts";
import { BARRIER, FRESH_MS, LAST_STARTED, OUTPUT, OUTPUT_HIGH, RUNNING, STOP } from "./op_slots.ts";

/** An operation as the Worker receives it (code already stripped of types). */
export type WorkerOp =
  | { kind: "execute"; code: string }
  | { kind: "apply"; fn: string; args: Uint8Array }
  | { kind: "push"; ns: Uint8Array }
  | { kind: "pull"; names: string[] }
  | { kind: "names" };

/**
 * Executor → Worker. `init` comes first and carries the shared words (`op_slots.ts`; the stop
 * flag is read by the loop checks); `run` asks for one op, sent in `epoch` after a symlink check
 * at `checkedAt` (`Date.now()`); `stop` asks the Worker to close; `spare` hands back the buffer
 * of a big result the engine has written (`spare_buffers.ts`; `init`'s `spareIdleMs` says how
 * long unused ones are kept).
 */
export type WorkerRequest =
  | { type: "init"; stopFlag: SharedArrayBuffer; spareIdleMs?: number }
  | { type: "run"; id: number; op: WorkerOp; epoch: number; checkedAt: number }
  | { type: "stop" }
  | { type: "spare"; buffer: ArrayBuffer };

/**
 * Worker → executor. `ready` once set up; `stream` output (`id` null when no op runs);
 * one `done` per op that ran, or `skipped` for one not started (recalled, or its check
 * `stale`); `stopping` right before the Worker closes itself on request.
 */
export type WorkerReply =
  | { type: "ready" }
  | { type: "stopping" }
  | { type: "skipped"; id: number; stale: boolean; payload?: Uint8Array }
  | { type: "stream"; id: number | null; name: StreamName; text: string }
  | { type: "done"; id: number; ok: true; value: Uint8Array; runMs: number }
  | { type: "done"; id: number; ok: false; error: ErrorData; runMs: number };

/** The parts of the Worker global scope used here (typed without the `deno.worker` lib). */
interface WorkerScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: "error", listener: (event: ErrorEvent) => void): void;
  addEventListener(
    type: "unhandledrejection",
    listener: (event: PromiseRejectionEvent) => void,
  ): void;
  addEventListener(type: "message", listener: (event: MessageEvent<WorkerRequest>) => void): void;
  close(): void;
}
const scope = globalThis as unknown as WorkerScope;
// Taken before user code runs, which cannot then forge replies or replace these.
const postToExecutor = scope.postMessage.bind(scope);
const closeSelf = scope.close.bind(scope);
const atomicsLoad = Atomics.load;
const atomicsStore = Atomics.store;
const atomicsCompareExchange = Atomics.compareExchange;
const atomicsWait = Atomics.wait;
const atomicsAdd = Atomics.add;
/** How `execute` shows a last value that cannot be sent (see `RemoteRepr`); taken before user code runs. */
const inspectValue = Deno.inspect;
const REPR_OPTIONS = { depth: 4, colors: false, strAbbreviateSize: 10_000, iterableLimit: 100 };
/** The clock of `runMs`, taken before user code can replace `performance.now`. */
const clock = performance.now.bind(performance);
/** The clock of the staleness check (`FRESH_MS`), taken before user code can replace it. */
const dateNow = Date.now;
const setTimer = setTimeout;
const clearTimer = clearTimeout;

/** Buffers of big results the engine has written and handed back (`spare_buffers.ts`). */
const spares = new SpareBuffers();
let sparesTimer: ReturnType<typeof setTimer> | undefined;
let spareIdleMs = SPARE_IDLE_MS;
/** (Re)starts the countdown after which unused spares are dropped. */
function keepSparesAwhile(): void {
  clearTimer(sparesTimer);
  sparesTimer = setTimer(() => spares.clear(), spareIdleMs);
}
delete (globalThis as { postMessage?: unknown }).postMessage;
// Guards against accidents, not a security boundary (a Worker started by user code has the
// originals; it can only harm its own engine): Deno.exit(), process.exit() and
// close() would end this Worker silently, the task would never finish and the engine would
// queue every later task behind it. `close` stays an ordinary global: user code may name a
// variable `close` (a price column), which then replaces the guard.
// process.exit() is refused itself, before it sets process.exitCode and emits "exit".
for (
  const [owner, name] of [[Deno, "exit"], [process, "exit"], [globalThis, "close"]] as const
) {
  const what = owner === Deno ? "Deno.exit()" : owner === process ? "process.exit()" : "close()";
  Object.defineProperty(owner, name, {
    value: function refused(): never {
      throw new Deno.errors.NotCapable(
        `${what} is not allowed in engine code: it would stop the engine's code worker, not ` +
          "just this task. To end a task early, return or throw; to stop engines, use " +
          "`client.shutdown({ targets })`",
      );
    },
    writable: owner === globalThis,
    configurable: owner === globalThis,
  });
}
// signals to other processes are denied (no `run` permission), but a process may signal
// itself: SIGKILL or SIGSTOP of its own engine, through Deno.kill or node's process.kill (and
// the process._kill under it); signal 0 only asks whether the process exists, and is let through
const ownProcess = (pid: number) => pid === Deno.pid || pid === 0 || pid === -Deno.pid;
const ownKillRefused = (what: string) =>
  new Deno.errors.NotCapable(
    `${what} of the engine's own process is not allowed in engine code: it would kill or stop ` +
      "the engine, not just this task (and a stopped engine is left behind). To stop engines, " +
      "use `client.shutdown({ targets })`",
  );
const denoKill = Deno.kill;
const nodeProcess = process as unknown as {
  kill(pid: number, signal?: string | number): true;
  _kill?(pid: number, signal: number): number;
};
const nodeKill = nodeProcess.kill.bind(process);
const nodeRawKill = nodeProcess._kill?.bind(process);
Object.defineProperty(Deno, "kill", {
  value: function kill(pid: number, signal?: Deno.Signal): void {
    if (ownProcess(pid)) throw ownKillRefused("Deno.kill()");
    denoKill(pid, signal);
  },
  writable: false,
  configurable: false,
});
Object.defineProperty(process, "kill", {
  value: function kill(pid: number, signal?: string | number): true {
    if (ownProcess(pid) && signal !== 0) throw ownKillRefused("process.kill()");
    return nodeKill(pid, signal);
  },
  writable: false,
  configurable: false,
});
if (nodeRawKill !== undefined) {
  Object.defineProperty(process, "_kill", {
    value: function _kill(pid: number, signal: number): number {
      if (ownProcess(pid) && signal !== 0) throw ownKillRefused("process._kill()");
      return nodeRawKill(pid, signal);
    },
    writable: false,
    configurable: false,
  });
}
// CacheStorage writes to disk outside the data dir without any permission (disk fill)
delete (globalThis as { caches?: unknown }).caches;

/** Must equal `INTERRUPT_CHECK` in lib/evaluate/interrupt_checks.ts (not imported: the Worker does not load sucrase). */
const INTERRUPT_CHECK = "$ipx$tick";

let stopFlag: Int32Array | null = null;
/**
 * Closes this Worker from inside a loop check. Terminating while the inspector still waits on
 * an evaluation crashes V8 ("Cannot create a handle without a HandleScope"), so the session is
 * disconnected first, except inside a dispatch, where disconnecting would panic and where
 * termination is handled.
 */
function stopNow(): never {
  if (!inspector.dispatching) inspector.disconnect();
  postToExecutor({ type: "stopping" } satisfies WorkerReply, []);
  closeSelf();
  for (;;) {
    // close() asked V8 to terminate this isolate; the loop's back edge lets it happen.
  }
}
Object.defineProperty(globalThis, INTERRUPT_CHECK, {
  value: function check(): boolean {
    if (stopFlag !== null && atomicsLoad(stopFlag, STOP) !== 0) stopNow();
    return true;
  },
});

/**
 * What user code's `import(…)` calls (see lib/evaluate/dynamic_imports.ts): `./` and `../` specifiers are
 * taken from the current directory (the data dir), as a module in it would; others as they are.
 */
Object.defineProperty(globalThis, DYNAMIC_IMPORT, {
  value: function importFromDataDir(specifier: unknown, options?: ImportCallOptions) {
    const resolved = resolveFromCwd(specifier) as string;
    return options === undefined ? import(resolved) : import(resolved, options);
  },
});

const setUp = Promise.withResolvers<void>();
scope.addEventListener("message", (event) => {
  const request = event.data;
  if (request.type === "init") {
    stopFlag = new Int32Array(request.stopFlag);
    spareIdleMs = request.spareIdleMs ?? SPARE_IDLE_MS;
  } else if (request.type === "spare") {
    spares.give(request.buffer);
    keepSparesAwhile();
  } else if (request.type === "stop") {
    inspector.disconnect(); // see stopNow()
    postToExecutor({ type: "stopping" } satisfies WorkerReply, []);
    closeSelf();
  } else {
    runs.push(request);
    if (runs.length === 1) void setUp.promise.then(drain);
  }
});

/** Run requests not started yet, in order; the first is the one being started or run. */
const runs: Array<Extract<WorkerRequest, { type: "run" }>> = [];
/** Ops of this epoch or an earlier one are skipped: one of them was stale. */
let staleEpoch = 0;

/** Runs the queued requests one at a time, each only if it may still start (`op_slots.ts`). */
async function drain(): Promise<void> {
  while (runs.length > 0) {
    const request = runs[0]!;
    const slots = stopFlag!;
    const stale = request.epoch <= staleEpoch || dateNow() - request.checkedAt > FRESH_MS;
    if (stale || request.epoch <= atomicsLoad(slots, BARRIER)) {
      if (stale && request.epoch > staleEpoch) staleEpoch = request.epoch;
      runs.shift();
      // a payload moved here goes back: the executor sends the op again
      const payload = request.op.kind === "apply"
        ? request.op.args
        : request.op.kind === "push"
        ? request.op.ns
        : undefined;
      reply(
        { type: "skipped", id: request.id, stale, ...(payload ? { payload } : {}) },
        payload && payload.buffer instanceof ArrayBuffer ? [payload.buffer] : [],
      );
      continue;
    }
    const was = atomicsCompareExchange(slots, RUNNING, 0, request.id);
    if (was !== 0) {
      // the executor holds the word for a moment: wait for it, then decide again
      atomicsWait(slots, RUNNING, was, 5);
      continue;
    }
    atomicsStore(slots, LAST_STARTED, request.id);
    try {
      await handle(request);
    } finally {
      atomicsStore(slots, RUNNING, 0);
      runs.shift();
    }
  }
}

const inspector = new InspectorBridge();

let current: number | null = null;
/** Streams that got the idle header since the last op began. */
const idleHeaded = new Set<StreamName>();
function reply(message: WorkerReply, transfer: Transferable[] = []): void {
  postToExecutor(message, transfer);
}
function sink(name: StreamName, text: string): void {
  const header = current === null && !idleHeaded.has(name) ? IDLE_OUTPUT_HEADER : "";
  if (stopFlag !== null) {
    // too much output has not left the engine yet: wait for room (see OUTPUT in op_slots.ts),
    // still stopping when asked to
    for (let seen = atomicsLoad(stopFlag, OUTPUT); seen > OUTPUT_HIGH;) {
      if (atomicsLoad(stopFlag, STOP) !== 0) stopNow();
      atomicsWait(stopFlag, OUTPUT, seen, 50);
      seen = atomicsLoad(stopFlag, OUTPUT);
    }
    atomicsAdd(stopFlag, OUTPUT, header.length + text.length);
  }
  if (header) {
    idleHeaded.add(name);
    reply({ type: "stream", id: null, name, text: header });
  }
  reply({ type: "stream", id: current, name, text });
}

/** Thrown inside this module to fail an op with a given error name. */
class OpError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

await inspector.findBridge();

const RESERVED = new Set(
  ("break case catch class const continue debugger default delete do else enum export extends " +
    "false finally for function if import in instanceof new null return super switch this throw " +
    "true try typeof var void while with yield let static implements interface package private " +
    "protected public await arguments eval undefined NaN Infinity globalThis").split(" "),
);
function checkName(name: unknown, verb: string): string {
  if (
    typeof name !== "string" || RESERVED.has(name) ||
    !/^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u.test(name)
  ) {
    throw new OpError(
      "TypeError",
      `Cannot ${verb} ${JSON.stringify(name)}: it is not a name a variable can have; ` +
        `use a plain identifier such as "data"`,
    );
  }
  return name;
}

/** Functions already compiled in the namespace, by source (most recent last). */
const compiledFunctions = new Map<string, (...args: unknown[]) => unknown>();
const COMPILED_LIMIT = 256;

/**
 * The function for `fn`, evaluated in the namespace once and then reused: later calls skip the
 * inspector entirely. (Namespace names are looked up when the function runs, so a cached
 * function still sees the current values; a namespace reset starts a new Worker and cache.)
 */
async function compiledFunction(fn: string): Promise<(...args: unknown[]) => unknown> {
  const cached = compiledFunctions.get(fn);
  if (cached) {
    compiledFunctions.delete(fn);
    compiledFunctions.set(fn, cached);
    return cached;
  }
  const compiled = await inspector.evaluate(fn);
  const target = compiled.exceptionDetails ? await inspector.settle(compiled) : compiled.result;
  if ((target as RemoteObject).type !== "function") {
    throw new OpError(
      "TypeError",
      `Cannot apply ${(target as RemoteObject).description ?? "the value"}: it is not a function`,
    );
  }
  const f = await inspector.localize(target as RemoteObject) as (...args: unknown[]) => unknown;
  compiledFunctions.set(fn, f);
  if (compiledFunctions.size > COMPILED_LIMIT) {
    compiledFunctions.delete(compiledFunctions.keys().next().value!);
  }
  return f;
}

async function apply(fn: string, encodedArgs: Uint8Array): Promise<unknown> {
  const args = decodeValue(encodedArgs);
  if (!Array.isArray(args)) {
    throw new OpError("TypeError", "Cannot apply: the arguments must be encoded as an array");
  }
  const f = await compiledFunction(fn);
  return await f(...args);
}

async function push(encoded: Uint8Array): Promise<void> {
  const ns = decodeValue(encoded);
  if (ns === null || typeof ns !== "object" || Array.isArray(ns)) {
    throw new OpError("TypeError", "Cannot push: the namespace must be an object of names");
  }
  for (const [rawName, value] of Object.entries(ns)) {
    const name = checkName(rawName, "push");
    inspector.bridge.value = value;
    try {
      const assigned = await inspector.callOnBridge(`function () { ${name} = this.value; }`);
      if (assigned.exceptionDetails) {
        const thrown = await inspector.settle(assigned).catch((e: unknown) => e);
        if (thrown instanceof TypeError && /constant/.test(thrown.message)) {
          throw new OpError(
            "TypeError",
            `Cannot push "${name}": it is declared with const on the engine; declare it with ` +
              `let, or push under another name`,
          );
        }
        throw thrown;
      }
    } finally {
      inspector.bridge.value = undefined;
    }
  }
}

async function names(): Promise<string[]> {
  const lexical = await inspector.post<{ names: string[] }>("Runtime.globalLexicalScopeNames");
  const added = Object.getOwnPropertyNames(globalThis).filter((n) => !BASELINE.has(n));
  return [...new Set([...lexical.names, ...added])].sort();
}

async function perform(op: WorkerOp): Promise<unknown> {
  switch (op.kind) {
    case "execute":
      return await inspector.settle(await inspector.evaluate(op.code));
    case "apply":
      return await apply(op.fn, op.args);
    case "push":
      return await push(op.ns);
    case "pull": {
      // one call in the namespace (it sees let and const), the values handed over in place
      const list = op.names.map((n) => checkName(n, "pull")).join(", ");
      const read = await inspector.callOnBridge(`function () { this.result = [${list}]; }`);
      return read.exceptionDetails ? await inspector.settle(read) : inspector.takeResult();
    }
    case "names":
      return await names();
  }
}

/** Where results are encoded: a spare's view for a big one, else fresh memory. */
const takeSpare = (size: number) => {
  if (size > SPARE_MIN_BYTES) keepSparesAwhile();
  return spares.take(size);
};

function encodeResult(value: unknown, kind: WorkerOp["kind"]): Uint8Array {
  try {
    return encodeValue(value, takeSpare);
  } catch (error) {
    if (kind === "execute") {
      // the code ran and its effects stand: its value comes back as a REPL would show it
      try {
        return encodeValue(new RemoteRepr(typeName(value), inspectValue(value, REPR_OPTIONS)));
      } catch {
        // not even its text: say why the value could not be sent
      }
    }
    throw new OpError("SerializationError", error instanceof Error ? error.message : String(error));
  }
}

async function handle(request: { id: number; op: WorkerOp }): Promise<void> {
  current = request.id;
  idleHeaded.clear();
  const t0 = clock();
  let outcome: { ok: true; value: Uint8Array } | { ok: false; error: ErrorData };
  const transfer: Transferable[] = [];
  try {
    // `await` also settles a Promise that the code returned as its value.
    const bytes = encodeResult(await perform(request.op), request.op.kind);
    // fresh memory or a spare's view (encodeValue gives what takeSpare gave): this Worker's
    // alone, so its buffer moves
    transfer.push(bytes.buffer as ArrayBuffer);
    outcome = { ok: true, value: bytes };
  } catch (error) {
    outcome = { ok: false, error: toErrorData(error) };
  }
  const message: WorkerReply = { type: "done", id: request.id, ...outcome, runMs: clock() - t0 };
  if (inspector.holdsObjects) await inspector.releaseObjects();
  current = null;
  reply(message, transfer);
}

scope.addEventListener("error", (event) => {
  event.preventDefault();
  sink("stderr", describeUncaught("Uncaught", event.error ?? event.message));
});
scope.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  sink("stderr", describeUncaught("Uncaught (in promise)", event.reason));
});
(globalThis as { console: Console }).console = createCaptureConsole(sink);
captureStdio(sink);
const BASELINE = new Set(Object.getOwnPropertyNames(globalThis));
setUp.resolve();
reply({ type: "ready" });
