/**
 * Where the task store keeps big result values: one file each in a directory beside the state
 * database, written in the background, so a 16 MiB result neither blocks the controller's
 * event loop in a SQLite transaction nor waits for the disk before it reaches its client.
 * Files are written on a thread of their own, around the page cache where the file system
 * allows (`result_writer.ts`).
 * A value is readable from memory until its file is complete. With an in-memory database the
 * values stay in memory ({@linkcode MemoryBlobs}).
 *
 * What a crash can lose: a value whose file was still being written when the controller was
 * killed (a few milliseconds after the result was sent; the first one also waits for the writer
 * thread to start, ~0.1–0.2 s). Its record says how big it was, so a
 * later lookup explains the loss instead of returning wrong bytes.
 *
 * @module
 */

import { ResultFileWriter } from "./result_writer.ts";

/** Big result values by key (the task record's sequence number). */
export interface ResultBlobs {
  /**
   * Keeps a value; it is readable at once, and stored for good in the background.
   *
   * @param key The record's sequence number.
   * @param bytes The value (not changed afterwards).
   */
  put(key: number, bytes: Uint8Array): void;
  /**
   * The value under a key, or undefined when there is none (or it was lost).
   *
   * @param key The record's sequence number.
   */
  get(key: number): Uint8Array | undefined;
  /**
   * Forgets a value.
   *
   * @param key The record's sequence number.
   */
  delete(key: number): void;
  /** Forgets every value. */
  clear(): void;
  /** Keys of the values held (for pruning the ones no record refers to). */
  keys(): number[];
  /** Resolves when every background write has ended. */
  settle(): Promise<void>;
  /** Settles, then releases what writing needed (the writer thread). */
  close(): Promise<void>;
}

/** Values kept in memory (for an in-memory state database). */
export class MemoryBlobs implements ResultBlobs {
  #values = new Map<number, Uint8Array>();
  /** @inheritdoc */
  put(key: number, bytes: Uint8Array): void {
    this.#values.set(key, bytes);
  }
  /** @inheritdoc */
  get(key: number): Uint8Array | undefined {
    return this.#values.get(key);
  }
  /** @inheritdoc */
  delete(key: number): void {
    this.#values.delete(key);
  }
  /** @inheritdoc */
  clear(): void {
    this.#values.clear();
  }
  /** @inheritdoc */
  keys(): number[] {
    return [...this.#values.keys()];
  }
  /** @inheritdoc */
  settle(): Promise<void> {
    return Promise.resolve();
  }
  /** @inheritdoc */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Values in files `<dir>/<key>.bin` (mode 0600, the directory 0700). */
export class FileBlobs implements ResultBlobs {
  #dir: string;
  /** Values whose file is not complete yet. */
  #writing = new Map<number, Uint8Array>();
  /** The last background operation per key, so a delete waits for the write before it. */
  #ops = new Map<number, Promise<void>>();
  #report: (message: string) => void;
  #writer: ResultFileWriter;

  /**
   * @param dir The directory (created when missing).
   * @param report Where failed background writes are reported.
   * @param writer Writes the files (tests pass their own).
   */
  constructor(
    dir: string,
    report: (message: string) => void = console.error,
    writer: ResultFileWriter = new ResultFileWriter({ report }),
  ) {
    this.#dir = dir;
    this.#report = report;
    this.#writer = writer;
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  #path(key: number): string {
    return `${this.#dir}/${key}.bin`;
  }

  #chain(key: number, op: () => Promise<void>): void {
    const run = (this.#ops.get(key) ?? Promise.resolve()).then(op);
    this.#ops.set(key, run);
    run.finally(() => {
      if (this.#ops.get(key) === run) this.#ops.delete(key);
    });
  }

  /** @inheritdoc */
  put(key: number, bytes: Uint8Array): void {
    this.#writing.set(key, bytes);
    this.#chain(key, async () => {
      if (this.#writing.get(key) !== bytes) return; // deleted (or replaced) before its turn
      try {
        await this.#writer.write(this.#path(key), bytes);
        if (this.#writing.get(key) === bytes) this.#writing.delete(key);
      } catch (error) {
        // keep it in memory: it is still served, only not kept across a restart
        this.#report(
          `ipx controller: cannot write a result to ${this.#path(key)}: ` +
            `${(error as Error).message}; it is kept in memory only`,
        );
      }
    });
  }

  /** @inheritdoc */
  get(key: number): Uint8Array | undefined {
    const inMemory = this.#writing.get(key);
    if (inMemory) return inMemory;
    try {
      return Deno.readFileSync(this.#path(key));
    } catch {
      return undefined;
    }
  }

  /** @inheritdoc */
  delete(key: number): void {
    this.#writing.delete(key);
    // a value still waiting for the writer is not written at all: while results arrive faster
    // than the disk takes them, culled ones do not stay in memory until their turn
    this.#writer.cancel(this.#path(key));
    this.#chain(key, () => Deno.remove(this.#path(key)).catch(() => {}));
  }

  /** @inheritdoc */
  clear(): void {
    for (const k of this.keys()) this.delete(k);
  }

  /** @inheritdoc */
  keys(): number[] {
    const keys = new Set<number>(this.#writing.keys());
    try {
      for (const e of Deno.readDirSync(this.#dir)) {
        const m = /^(\d+)\.bin$/.exec(e.name);
        if (m) keys.add(Number(m[1]));
      }
    } catch {
      // the directory is gone: nothing on disk
    }
    return [...keys];
  }

  /** @inheritdoc */
  async settle(): Promise<void> {
    while (this.#ops.size > 0) await Promise.all([...this.#ops.values()]);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    await this.settle();
    await this.#writer.close();
  }
}
