/**
 * Writes the controller's result files on a thread of their own
 * (`result_writer_worker.ts`), around the page cache where the file system allows
 * (`direct_write.ts`).
 *
 * Why a thread: Deno runs `node:fs` writes — the only way to open a file with `O_DIRECT` —
 * synchronously on the calling thread, so on the controller's event loop each 4 MiB chunk
 * would stall every connection for a few milliseconds. The thread gets its own copy of each
 * value (one copy on the controller's thread; the caller keeps its bytes, which may still be
 * on their way to a client) and writes it while the controller goes on. Values are copied only
 * when the thread is ready for them (two at a time), so results arriving faster than the disk
 * takes them are held once, not twice, and the copies go into buffers the thread hands back
 * ({@linkcode BufferPool}): copying into reused memory costs a third of copying into fresh
 * memory. The pool is dropped after a few idle seconds.
 *
 * The thread is started with the first write and does not keep the process alive while it has
 * nothing to write. If it cannot start or dies, every pending and later write is done on the
 * controller's thread with ordinary buffered writes, which Deno runs in the background.
 *
 * @module
 */

import { clearTimeout, setTimeout } from "node:timers";
import { Worker } from "node:worker_threads";
import { type DirectWriteMode, writeBuffered } from "./direct_write.ts";
import { BufferPool } from "./buffer_pool.ts";

/** Most bytes of copy buffers kept for reuse (two 16 MiB results and some). */
export const WRITER_POOL_BYTES = 64 * 1024 * 1024;

/** Writes handed to the thread at once: one being written, the next one ready. */
export const WRITER_IN_THREAD = 2;

/** The copy buffers are dropped after the writer has been idle this long. */
export const WRITER_POOL_IDLE_MS = 5_000;

/** A file for the writer thread. */
export interface WriteRequest {
  /** Matches the reply. */
  id: number;
  /** The file. */
  path: string;
  /** Holds its contents (moved to the thread, which moves it back in its reply). */
  buffer: ArrayBuffer;
  /** Bytes of `buffer` that are the contents. */
  length: number;
}

/** The writer thread's answer. */
export interface WriteReply {
  /** The request's id. */
  id: number;
  /** How the thread writes now. */
  mode: DirectWriteMode;
  /** Why the write failed (absent when it succeeded). */
  error?: string;
  /** The request's buffer, handed back for reuse. */
  buffer?: ArrayBuffer;
}

interface Pending {
  path: string;
  bytes: Uint8Array;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** How result files are being written. */
export type ResultWriteMode = DirectWriteMode | "in-thread";

/** Options of {@linkcode ResultFileWriter}. */
export interface ResultFileWriterOptions {
  /** The writer thread's module (tests pass one that fails). */
  workerUrl?: URL;
  /** Told when the thread fails and writes move to the calling thread. */
  report?: (message: string) => void;
  /** Idle time after which the copy buffers are dropped ({@linkcode WRITER_POOL_IDLE_MS}). */
  poolIdleMs?: number;
}

/** Writes whole files (0600) on a writer thread. */
export class ResultFileWriter {
  #worker: Worker | undefined;
  #closed = false;
  #pending = new Map<number, Pending>();
  /** Ids of pending writes not handed to the thread yet, oldest first. */
  #queue: number[] = [];
  /** Writes handed to the thread and not answered yet. */
  #inThread = 0;
  /** Every write not settled yet (also those redone on this thread). */
  #inflight = new Set<Promise<void>>();
  #nextId = 1;
  #mode: ResultWriteMode = "untried";
  #url: URL;
  #report: (message: string) => void;
  #pool = new BufferPool(WRITER_POOL_BYTES);
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #poolIdleMs: number;

  /** @param options See {@linkcode ResultFileWriterOptions}. */
  constructor(options: ResultFileWriterOptions = {}) {
    this.#url = options.workerUrl ?? new URL("./result_writer_worker.ts", import.meta.url);
    this.#report = options.report ?? console.error;
    this.#poolIdleMs = options.poolIdleMs ?? WRITER_POOL_IDLE_MS;
  }

  /** `direct`/`buffered` as the thread last reported, `in-thread` once it failed. */
  get mode(): ResultWriteMode {
    return this.#mode;
  }

  /** Bytes of copy buffers kept for reuse now. */
  get pooled(): number {
    return this.#pool.kept;
  }

  /** Writes waiting for the thread (not copied yet). */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Writes `bytes` to a new owner-only file at `path`, replacing any file there.
   *
   * @param path The file.
   * @param bytes The contents, not to be changed until the promise settles (the thread gets a
   *   copy when its turn comes; the caller may keep using them meanwhile).
   */
  write(path: string, bytes: Uint8Array): Promise<void> {
    const done = this.#post(path, bytes);
    this.#inflight.add(done);
    const forget = () => this.#inflight.delete(done);
    done.then(forget, forget);
    return done;
  }

  #post(path: string, bytes: Uint8Array): Promise<void> {
    if (this.#mode === "in-thread" || this.#closed) return writeBuffered(path, bytes);
    const worker = this.#worker ?? this.#start();
    if (worker === undefined) return writeBuffered(path, bytes);
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#pending.set(id, { path, bytes, resolve, reject });
    this.#queue.push(id);
    this.#busy();
    worker.ref(); // pending writes keep the process alive, as background file writes do
    this.#feed(worker);
    return promise;
  }

  /**
   * Hands queued writes to the thread, at most {@linkcode WRITER_IN_THREAD} at a time: a value
   * is copied only when the thread is about to write it, so a burst of results faster than the
   * disk holds each value once (the caller's bytes), and the copies reuse the pool's buffers.
   */
  #feed(worker: Worker): void {
    while (this.#inThread < WRITER_IN_THREAD && this.#queue.length > 0) {
      const id = this.#queue.shift()!;
      const p = this.#pending.get(id);
      if (p === undefined) continue;
      const buffer = this.#pool.take(p.bytes.length);
      new Uint8Array(buffer, 0, p.bytes.length).set(p.bytes);
      this.#inThread++;
      worker.postMessage(
        { id, path: p.path, buffer, length: p.bytes.length } satisfies WriteRequest,
        [buffer],
      );
    }
  }

  /**
   * Drops a write that is still waiting for the thread (its value not copied yet): its promise
   * resolves and no file is written. A write the thread already has goes on.
   *
   * @param path The file of a write.
   * @returns Whether a waiting write was dropped.
   */
  cancel(path: string): boolean {
    const at = this.#queue.findIndex((id) => this.#pending.get(id)?.path === path);
    if (at < 0) return false;
    const [id] = this.#queue.splice(at, 1);
    const p = this.#pending.get(id!)!;
    this.#pending.delete(id!);
    if (this.#pending.size === 0) this.#idle();
    p.resolve();
    return true;
  }

  /** Waits for pending writes, then stops the thread. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inflight]);
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
    this.#dropPool();
  }

  #dropPool(): void {
    this.#busy();
    this.#pool.clear();
  }

  /** Writes are pending: the pool stays. */
  #busy(): void {
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  /** Nothing is pending: the thread no longer keeps the process alive, and the pool expires. */
  #idle(): void {
    this.#worker?.unref();
    this.#busy();
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      this.#pool.clear();
    }, this.#poolIdleMs);
    this.#idleTimer.unref();
  }

  #start(): Worker | undefined {
    let worker: Worker;
    try {
      worker = new Worker(this.#url);
    } catch (error) {
      this.#fail(error as Error);
      return undefined;
    }
    worker.unref();
    worker.on("message", (reply: WriteReply) => {
      if (this.#mode === "in-thread") return; // a late answer of a thread given up on
      this.#mode = reply.mode;
      if (reply.buffer !== undefined) this.#pool.give(reply.buffer);
      this.#inThread--;
      const p = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      this.#feed(worker);
      if (this.#pending.size === 0) this.#idle();
      if (p === undefined) return;
      if (reply.error === undefined) p.resolve();
      else p.reject(new Error(reply.error));
    });
    worker.on("error", (error: Error) => this.#fail(error));
    worker.on("exit", () => {
      if (!this.#closed) this.#fail(new Error("the result writer thread exited"));
    });
    this.#worker = worker;
    return worker;
  }

  /** The thread is gone: pending writes (and later ones) are done on this thread. */
  #fail(error: Error): void {
    if (this.#mode === "in-thread") return;
    this.#report(
      `ipx controller: the result-file writer thread failed (${error.message}); writing ` +
        `result files on the controller's thread from now on`,
    );
    this.#mode = "in-thread";
    this.#dropPool();
    const worker = this.#worker;
    this.#worker = undefined;
    void worker?.terminate().catch(() => {});
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#queue = [];
    this.#inThread = 0;
    for (const p of pending) writeBuffered(p.path, p.bytes).then(p.resolve, p.reject);
  }
}
