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
import { BARRIER, LAST_STARTED, LOCKED, OUTPUT, RUNNING, SLOTS, STOP } from "./op_slots.ts";

/** Receives output of the running op, in order, while it runs. */
export type StreamCallback = (name: StreamName, text: string) => void;

/**
 * What a Worker answers for one op; `runMs` is how long the op ran inside the Worker (absent
 * when it did not get there or did not come back).
 */
export type WorkerOutcome =
  | { ok: true; value: Uint8Array; runMs?: number }
  | { ok: false; error: ErrorData; runMs?: number };

/** An op the Worker did not start (recalled, or its symlink check was stale); send it again. */
export interface Skipped {
  skipped: true;
  /** The Worker found the op's check too old (it waited behind a longer op). */
  stale: boolean;
  /** The op's payload bytes (`args`, `ns`), moved back: they were moved to the Worker. */
  payload?: Uint8Array;
}

export interface WorkerEvents {
  /** Output produced while no op runs. */
  idle(name: StreamName, text: string): void;
  /** The Worker died on its own; its ops have already been answered. */
  crashed(): void;
  /**
   * Resolves once the output handed over so far has left the engine (written to its
   * connection, or dropped with none): the Worker's output waits on this (`OUTPUT`).
   */
  written(): Promise<void>;
}

interface Pending {
  done(o: WorkerOutcome | Skipped): void;
  onStream: StreamCallback;
  /** Its payload was moved to the Worker (so it cannot be sent again without it). */
  moved: boolean;
}

/**
 * The main-thread handle of one code Worker: starts it, sends ops (several ahead: the Worker
 * runs them in order), routes replies, and reads or holds the shared words of `op_slots.ts`.
 */
export class CodeWorker {
  #worker: Worker;
  #events: WorkerEvents;
  #on: string;
  #slots = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  #stopping = Promise.withResolvers<void>();
  #nextId = 1;
  /** Ops sent and not answered, in the order sent (the Worker answers in that order). */
  #pending = new Map<number, Pending>();
  #dead = false;

  private constructor(worker: Worker, events: WorkerEvents, on: string) {
    this.#worker = worker;
    this.#events = events;
    this.#on = on;
  }

  static start(
    policy: SandboxPolicy,
    engineId: number | undefined,
    spareIdleMs: number | undefined,
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
      stopFlag: handle.#slots.buffer as SharedArrayBuffer,
      ...(spareIdleMs !== undefined ? { spareIdleMs } : {}),
    };
    worker.postMessage(init);
    return ready.promise;
  }

  /** True once stopped or crashed: it answers nothing more. */
  get dead(): boolean {
    return this.#dead;
  }

  /** Ops sent and not answered yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Sends one op. The Worker runs it after those sent before, unless it is recalled first
   * ({@linkcode recall}) or its symlink check is stale by then (`FRESH_MS`).
   *
   * @param op The op.
   * @param onStream Receives its output.
   * @param done Receives the outcome, or {@linkcode Skipped} if the Worker did not start it
   * (not called once the Worker is stopped).
   * @param options `exclusive`: the op's payload is a view of a buffer nothing else refers to
   * (a big one is then moved to the Worker without copying; see {@linkcode ownedPayload});
   * `epoch` and `checkedAt` (`Date.now()` of the op's symlink check) as in `op_slots.ts`.
   * @returns The op's id in this Worker (what {@linkcode holdRunning} reports), and whether
   * its payload was moved there (the caller's bytes are then gone until a `skipped` answer
   * brings them back).
   */
  send(
    op: WorkerOp,
    onStream: StreamCallback,
    done: (outcome: WorkerOutcome | Skipped) => void,
    options: { exclusive: boolean; epoch: number; checkedAt: number },
  ): { id: number; moved: boolean } {
    const id = this.#nextId++;
    if (this.#dead) {
      queueMicrotask(() => done(this.#crashError("it was stopped")));
      return { id, moved: false };
    }
    const owned = ownedPayload(op, options.exclusive);
    const moved = options.exclusive && owned.transfer.length > 0;
    this.#pending.set(id, { done, onStream, moved });
    const request: WorkerRequest = {
      type: "run",
      id,
      op: owned.op,
      epoch: options.epoch,
      checkedAt: options.checkedAt,
    };
    this.#worker.postMessage(request, owned.transfer);
    return { id, moved };
  }

  /**
   * Which op runs now, holding the Worker from starting another until {@linkcode release}:
   * 0 when none runs (then none can start until released), else the running op's id (which
   * runs on; nothing else starts before it ends). Call {@linkcode release} in the same
   * synchronous step.
   */
  holdRunning(): number {
    const was = Atomics.compareExchange(this.#slots, RUNNING, 0, LOCKED);
    return was === LOCKED ? 0 : was;
  }

  /** The id of the last op the Worker started (0 for none): greater ids have not started. */
  lastStarted(): number {
    return Atomics.load(this.#slots, LAST_STARTED);
  }

  /** Ends a {@linkcode holdRunning} (a no-op when it found an op running). */
  release(): void {
    if (Atomics.compareExchange(this.#slots, RUNNING, LOCKED, 0) === LOCKED) {
      Atomics.notify(this.#slots, RUNNING);
    }
  }

  /**
   * Recalls every op sent in `epoch` or before: the Worker starts none of them (it answers
   * `skipped`), except one that already started.
   *
   * @param epoch The last epoch recalled.
   */
  recall(epoch: number): void {
    if (Atomics.load(this.#slots, BARRIER) < epoch) Atomics.store(this.#slots, BARRIER, epoch);
  }

  /**
   * Hands the buffer of a big result this Worker sent back to it, once the result is written:
   * the Worker encodes its next big result into it (see `spare_buffers.ts`). The buffer moves
   * (it is detached here). Nothing happens once the Worker is stopped.
   *
   * @param buffer The result's whole buffer.
   */
  giveBack(buffer: ArrayBuffer): void {
    if (this.#dead || buffer.detached) return;
    const request: WorkerRequest = { type: "spare", buffer };
    this.#worker.postMessage(request, [buffer]);
  }

  /**
   * Asks the Worker to close itself: its loop checks see the stop flag, and an idle Worker
   * gets a message. Waits up to `waitMs` for it to confirm. The Worker is never terminated from
   * here while it may still be evaluating: Deno 2.9 aborts the whole process ("Cannot create a
   * handle without a HandleScope") when a Worker dies with an inspector evaluation pending, and
   * its `terminate()` does not stop a spinning thread anyway (denoland/deno PR #35657).
   * Answers of ops that ended before it stopped still arrive; output no longer does.
   *
   * @returns Whether the Worker confirmed; if not, its thread may still be running.
   */
  stop(waitMs = 0): Promise<boolean> {
    if (this.#stopRequested === null) {
      this.#dead = true;
      Atomics.store(this.#slots, STOP, 1);
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
  /** Output characters received and not yet known to have left the engine. */
  #unwritten = 0;
  #releasing = false;

  /** Gives the Worker back room for output once what it handed over has been written. */
  #release(chars: number): void {
    this.#unwritten += chars;
    if (this.#releasing) return;
    this.#releasing = true;
    const batch = this.#unwritten;
    this.#unwritten = 0;
    const done = () => {
      Atomics.sub(this.#slots, OUTPUT, batch);
      Atomics.notify(this.#slots, OUTPUT);
      this.#releasing = false;
      if (this.#unwritten > 0) this.#release(0);
    };
    this.#events.written().then(done, done);
  }

  #receive(message: WorkerReply): void {
    if (message.type === "stopping") {
      this.#stopping.resolve();
      return;
    }
    if (message.type === "stream") {
      if (this.#dead) return;
      // Output from between ops (id null) belongs to the op waiting first in line, if any.
      const target = message.id === null
        ? this.#pending.values().next().value
        : this.#pending.get(message.id);
      if (target) target.onStream(message.name, message.text);
      else this.#events.idle(message.name, message.text);
      this.#release(message.text.length);
    } else if (message.type === "skipped") {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      pending?.done({
        skipped: true,
        stale: message.stale,
        ...(message.payload ? { payload: message.payload } : {}),
      });
    } else if (message.type === "done") {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      pending?.done(
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

  /**
   * The Worker died: the op it ran fails (and any answered before it whose answer was lost);
   * the ops behind it are answered `skipped`, to run in a fresh Worker, except those whose
   * payload went down with it.
   */
  #crash(message: string): void {
    if (this.#dead) return;
    const running = Atomics.load(this.#slots, RUNNING);
    const pending = [...this.#pending];
    this.#pending.clear();
    void this.stop();
    let failed = false;
    for (const [id, p] of pending) {
      // with no op marked running, the first in line is the one it died on
      const ran = running > 0 ? id <= running : !failed;
      if (ran || p.moved) {
        failed = true;
        p.done(this.#crashError(message));
      } else p.done({ skipped: true, stale: false });
    }
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
