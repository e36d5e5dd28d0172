/**
 * The main-thread handle of one code Worker of an {@linkcode Executor}: starts the Worker with
 * the sandbox permissions, sends ops, routes replies, and stops it cooperatively.
 *
 * @module
 */

import type { ErrorData } from "../protocol/errors.ts";
import type { StreamName } from "./console_capture.ts";
import { type SandboxPolicy, workerPermissions } from "./sandbox.ts";
import type { WorkerOp, WorkerReply, WorkerRequest } from "./worker.ts";

/** Receives output of the running op, in order, while it runs. */
export type StreamCallback = (name: StreamName, text: string) => void;

/**
 * What a Worker answers for one op; `runMs` is how long the op ran inside the Worker (absent
 * when it did not get there or did not come back).
 */
export type WorkerOutcome =
  | { ok: true; value: Uint8Array; runMs?: number }
  | { ok: false; error: ErrorData; runMs?: number };

export interface WorkerEvents {
  /** Output produced while no op runs. */
  idle(name: StreamName, text: string): void;
  /** The Worker died on its own; the pending op has already been failed. */
  crashed(): void;
}

/** The main-thread handle of one code Worker: starts it, sends ops, routes replies. */
export class CodeWorker {
  #worker: Worker;
  #events: WorkerEvents;
  #on: string;
  #stopFlag = new Int32Array(new SharedArrayBuffer(4));
  #stopping = Promise.withResolvers<void>();
  #nextId = 1;
  #pending: { id: number; done(o: WorkerOutcome): void; onStream: StreamCallback } | null = null;
  #dead = false;

  private constructor(worker: Worker, events: WorkerEvents, on: string) {
    this.#worker = worker;
    this.#events = events;
    this.#on = on;
  }

  static start(
    policy: SandboxPolicy,
    engineId: number | undefined,
    events: WorkerEvents,
  ): Promise<CodeWorker> {
    const on = engineId === undefined ? "" : ` on engine ${engineId}`;
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
      name: `ipx-code${engineId === undefined ? "" : `-${engineId}`}`,
      deno: { permissions: workerPermissions(policy) },
    });
    const handle = new CodeWorker(worker, events, on);
    const ready = Promise.withResolvers<CodeWorker>();
    let started = false;
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      if (event.data.type === "ready") {
        started = true;
        ready.resolve(handle);
      } else handle.#receive(event.data);
    };
    const fail = (message: string) => {
      if (!started) {
        handle.#dead = true;
        worker.terminate(); // nothing is being evaluated yet
        ready.reject(new Error(message));
      } else handle.#crash(message);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      fail(event.message);
    };
    worker.onmessageerror = () => fail("a message from the worker could not be read");
    const init: WorkerRequest = {
      type: "init",
      stopFlag: handle.#stopFlag.buffer as SharedArrayBuffer,
    };
    worker.postMessage(init);
    return ready.promise;
  }

  /**
   * Sends one op to the Worker.
   *
   * @param op The op.
   * @param onStream Receives its output.
   * @param exclusive Whether the op's payload is a view of a buffer nothing else refers to
   * (then a big one is moved to the Worker without copying; see {@linkcode ownedPayload}).
   * @returns The outcome.
   */
  send(op: WorkerOp, onStream: StreamCallback, exclusive = false): Promise<WorkerOutcome> {
    if (this.#dead) return Promise.resolve(this.#crashError("it was stopped"));
    const id = this.#nextId++;
    const { promise, resolve } = Promise.withResolvers<WorkerOutcome>();
    this.#pending = { id, done: resolve, onStream };
    const owned = ownedPayload(op, exclusive);
    const request: WorkerRequest = { type: "run", id, op: owned.op };
    this.#worker.postMessage(request, owned.transfer);
    return promise;
  }

  /**
   * Asks the Worker to close itself: its loop checks see the stop flag, and an idle Worker
   * gets a message. Waits up to `waitMs` for it to confirm. The Worker is never terminated from
   * here while it may still be evaluating: Deno 2.9 aborts the whole process ("Cannot create a
   * handle without a HandleScope") when a Worker dies with an inspector evaluation pending, and
   * its `terminate()` does not stop a spinning thread anyway (denoland/deno PR #35657).
   *
   * @returns Whether the Worker confirmed; if not, its thread may still be running.
   */
  stop(waitMs = 0): Promise<boolean> {
    if (this.#stopRequested === null) {
      this.#dead = true;
      Atomics.store(this.#stopFlag, 0, 1);
      const stop: WorkerRequest = { type: "stop" };
      this.#worker.postMessage(stop);
      this.#stopRequested = this.#stopping.promise.then(() => this.#worker.terminate());
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    return Promise.race([this.#stopRequested.then(() => true), timeout])
      .finally(() => clearTimeout(timer));
  }
  #stopRequested: Promise<void> | null = null;

  #receive(message: WorkerReply): void {
    const pending = this.#pending;
    if (message.type === "stream" && !this.#dead) {
      // Output from between ops (id null) belongs to the op that is now waiting, if any.
      const mine = pending && (message.id === pending.id || message.id === null);
      if (mine) pending.onStream(message.name, message.text);
      else this.#events.idle(message.name, message.text);
    } else if (message.type === "stopping") {
      this.#stopping.resolve();
    } else if (message.type === "done" && !this.#dead && pending && message.id === pending.id) {
      this.#pending = null;
      pending.done(
        message.ok
          ? { ok: true, value: message.value, runMs: message.runMs }
          : { ok: false, error: message.error, runMs: message.runMs },
      );
    }
  }

  #crashError(message: string): WorkerOutcome {
    return {
      ok: false,
      error: {
        ename: "WorkerCrashed",
        evalue: `the code worker stopped unexpectedly${this.#on} (${message}); the namespace ` +
          `is lost and a fresh worker runs the next operation`,
        stack: "",
      },
    };
  }

  #crash(message: string): void {
    if (this.#dead) return;
    void this.stop();
    const pending = this.#pending;
    this.#pending = null;
    pending?.done(this.#crashError(message));
    this.#events.crashed();
  }
}

/**
 * The op with its payload bytes in a buffer of their own, to be moved to the Worker rather
 * than cloned. Payloads arrive as views into a received frame, which may hold other messages
 * too: cloning a view copies its whole buffer, and moving it would take the frame from them.
 * When the caller knows the frame held only this op (`exclusive`), a big payload that fills
 * most of its buffer is moved as it is: a 16 MiB push then costs no copy on the engine's main
 * thread (the copy took ~40% of its time per push).
 *
 * @param op The op as received.
 * @param exclusive Whether nothing else refers to the payload's buffer.
 * @returns The op to post and the buffers to transfer.
 */
export function ownedPayload(
  op: WorkerOp,
  exclusive = false,
): { op: WorkerOp; transfer: ArrayBuffer[] } {
  const own = (bytes: Uint8Array): [Uint8Array, ArrayBuffer[]] => {
    const buffer = bytes.buffer;
    if (
      exclusive && buffer instanceof ArrayBuffer && bytes.length >= TRANSFER_BYTES &&
      bytes.length * 2 >= buffer.byteLength
    ) {
      return [bytes, [buffer]];
    }
    const copy = bytes.slice();
    // moving a buffer costs more than cloning a small one
    return [copy, copy.length >= TRANSFER_BYTES ? [copy.buffer] : []];
  };
  if (op.kind === "apply") {
    const [args, transfer] = own(op.args);
    return { op: { ...op, args }, transfer };
  }
  if (op.kind === "push") {
    const [ns, transfer] = own(op.ns);
    return { op: { ...op, ns }, transfer };
  }
  return { op, transfer: [] };
}

/** Payloads this big or bigger are moved to the Worker rather than cloned. */
const TRANSFER_BYTES = 64 * 1024;
