/**
 * Writes the controller's result files on a thread of their own
 * (`result_writer_worker.ts`), around the page cache where the file system allows
 * (`direct_write.ts`).
 *
 * Why a thread: Deno runs `node:fs` writes — the only way to open a file with `O_DIRECT` —
 * synchronously on the calling thread, so on the controller's event loop each 4 MiB chunk
 * would stall every connection for a few milliseconds. The thread gets its own copy of each
 * value (one copy on the controller's thread; the caller keeps its bytes, which may still be
 * on their way to a client) and writes it while the controller goes on.
 *
 * The thread is started with the first write and does not keep the process alive while it has
 * nothing to write. If it cannot start or dies, every pending and later write is done on the
 * controller's thread with ordinary buffered writes, which Deno runs in the background.
 *
 * @module
 */

import { Worker } from "node:worker_threads";
import { type DirectWriteMode, writeBuffered } from "./direct_write.ts";

/** A file for the writer thread. */
export interface WriteRequest {
  /** Matches the reply. */
  id: number;
  /** The file. */
  path: string;
  /** Its contents (moved to the thread). */
  buffer: ArrayBuffer;
}

/** The writer thread's answer. */
export interface WriteReply {
  /** The request's id. */
  id: number;
  /** How the thread writes now. */
  mode: DirectWriteMode;
  /** Why the write failed (absent when it succeeded). */
  error?: string;
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
}

/** Writes whole files (0600) on a writer thread. */
export class ResultFileWriter {
  #worker: Worker | undefined;
  #closed = false;
  #pending = new Map<number, Pending>();
  /** Every write not settled yet (also those redone on this thread). */
  #inflight = new Set<Promise<void>>();
  #nextId = 1;
  #mode: ResultWriteMode = "untried";
  #url: URL;
  #report: (message: string) => void;

  /** @param options See {@linkcode ResultFileWriterOptions}. */
  constructor(options: ResultFileWriterOptions = {}) {
    this.#url = options.workerUrl ?? new URL("./result_writer_worker.ts", import.meta.url);
    this.#report = options.report ?? console.error;
  }

  /** `direct`/`buffered` as the thread last reported, `in-thread` once it failed. */
  get mode(): ResultWriteMode {
    return this.#mode;
  }

  /**
   * Writes `bytes` to a new owner-only file at `path`, replacing any file there.
   *
   * @param path The file.
   * @param bytes The contents; the caller may keep using them (the thread gets a copy).
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
    const copy = bytes.slice();
    worker.ref(); // pending writes keep the process alive, as background file writes do
    worker.postMessage(
      { id, path, buffer: copy.buffer } satisfies WriteRequest,
      [copy.buffer],
    );
    return promise;
  }

  /** Waits for pending writes, then stops the thread. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inflight]);
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
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
      const p = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
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
    const worker = this.#worker;
    this.#worker = undefined;
    void worker?.terminate().catch(() => {});
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) writeBuffered(p.path, p.bytes).then(p.resolve, p.reject);
  }
}
