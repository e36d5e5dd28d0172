/**
 * Writing big write-once files around the page cache (`O_DIRECT`), for the controller's
 * result files (`result_blobs.ts`).
 *
 * A buffered write copies every byte into page-cache pages the kernel has to find first; a
 * result file is written once and rarely read again, so those pages are pure cost. On this
 * project's virtual machines that cost dominated bulk transfers: pages not touched for a while
 * have been handed back to the host, and taking them again cost ~2.3 ms of kernel time per MiB
 * — the controller spent more CPU writing 16 MiB pulled results than on everything else.
 * Measured (20 files of 16 MiB, fresh names, twice each way): buffered 900–950 ms of CPU and
 * 940–950 ms wall, direct 50–130 ms of CPU and 170–280 ms wall (the disk takes the bytes
 * straight from a reused, aligned buffer).
 *
 * `O_DIRECT` wants the buffer address, the length and the file offset aligned to the device's
 * block size. JavaScript cannot see addresses, so the writer keeps one staging buffer of
 * {@linkcode DIRECT_CHUNK_BYTES} plus {@linkcode DIRECT_ALIGN} bytes and finds, once, the offset
 * in it where the kernel accepts a write (the first of 256 candidates 16 bytes apart; a
 * misaligned one fails with `EINVAL`). Data goes through that buffer a chunk at a time; the last
 * chunk is padded to the block size and the file is then cut to its real length (a reader that
 * finds the wrong length — the controller killed between the two — treats the value as lost,
 * as for a short file). Writes are serialized through the one buffer.
 *
 * Where the file system refuses `O_DIRECT` (some tmpfs, network or FUSE file systems: `EINVAL`
 * or "not supported" at open, or no candidate offset works) or the platform has no such flag, the writer falls
 * back to ordinary buffered writes for good.
 *
 * @module
 */

import fs from "node:fs";
import fsp from "node:fs/promises";

/** Bytes copied through the staging buffer per write. */
export const DIRECT_CHUNK_BYTES = 4 * 1024 * 1024;
/** Alignment of lengths and file offsets (a multiple of every common logical block size). */
export const DIRECT_ALIGN = 4096;

const FLAGS = fs.constants as Record<string, number | undefined>;

/** How a {@linkcode DirectFileWriter} writes. */
export type DirectWriteMode = "untried" | "direct" | "buffered";

/** Whether an error is the file system refusing direct I/O (EINVAL, or "not supported"). */
function refusesDirect(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  if (e?.code === "EINVAL" || e?.code === "ENOTSUP" || e?.code === "EOPNOTSUPP") return true;
  return /os error (22|95)\b|Invalid argument|not supported/i.test(e?.message ?? "");
}

/** Options of {@linkcode DirectFileWriter}. */
export interface DirectFileWriterOptions {
  /** Opens a file for direct I/O (tests pass one that behaves like another file system). */
  open?: (path: string, flags: number, mode: number) => Promise<fsp.FileHandle>;
}

/** Writes whole files, around the page cache where the file system allows. */
export class DirectFileWriter {
  #mode: DirectWriteMode = FLAGS.O_DIRECT === undefined ? "buffered" : "untried";
  #staging: Uint8Array | undefined;
  /** Offset in the staging buffer the kernel accepts for direct I/O; -1 until found. */
  #at = -1;
  #tail: Promise<void> = Promise.resolve();
  #directFiles = 0;
  #open: (path: string, flags: number, mode: number) => Promise<fsp.FileHandle>;

  /** @param options See {@linkcode DirectFileWriterOptions}. */
  constructor(options: DirectFileWriterOptions = {}) {
    this.#open = options.open ?? ((path, flags, mode) => fsp.open(path, flags, mode));
  }

  /** Whether writes go around the page cache (`direct`), through it, or were not tried yet. */
  get mode(): DirectWriteMode {
    return this.#mode;
  }

  /** Files written with direct I/O so far. */
  get directFiles(): number {
    return this.#directFiles;
  }

  /**
   * Writes `bytes` to a new owner-only (0600) file at `path`, replacing any file there. Writes
   * run one at a time, in call order.
   *
   * @param path The file.
   * @param bytes The contents (not changed until the promise settles).
   */
  write(path: string, bytes: Uint8Array): Promise<void> {
    const run = this.#tail.then(() => this.#write(path, bytes));
    this.#tail = run.catch(() => {});
    return run;
  }

  async #write(path: string, bytes: Uint8Array): Promise<void> {
    if (this.#mode !== "buffered") {
      let handle: fsp.FileHandle | undefined;
      try {
        handle = await this.#open(
          path,
          FLAGS.O_WRONLY! | FLAGS.O_CREAT! | FLAGS.O_TRUNC! | FLAGS.O_DIRECT!,
          0o600,
        );
      } catch (error) {
        if (!refusesDirect(error)) throw error;
        this.#mode = "buffered"; // this file system does not do direct I/O
      }
      if (handle !== undefined) {
        try {
          if (await this.#aligned(handle)) {
            await this.#writeDirect(handle, bytes);
            this.#mode = "direct";
            this.#directFiles++;
            return;
          }
          this.#mode = "buffered";
        } finally {
          await handle.close();
        }
      }
    }
    await writeBuffered(path, bytes);
  }

  /** Finds the staging buffer's aligned offset (once); false when no offset works. */
  async #aligned(handle: fsp.FileHandle): Promise<boolean> {
    if (this.#at >= 0) return true;
    this.#staging ??= new Uint8Array(DIRECT_CHUNK_BYTES + DIRECT_ALIGN);
    for (let at = 0; at < DIRECT_ALIGN; at += 16) {
      try {
        await handle.write(this.#staging, at, DIRECT_ALIGN, 0);
        this.#at = at;
        return true;
      } catch (error) {
        if (!refusesDirect(error)) throw error;
      }
    }
    return false;
  }

  async #writeDirect(handle: fsp.FileHandle, bytes: Uint8Array): Promise<void> {
    const staging = this.#staging!;
    const at = this.#at;
    for (let offset = 0; offset < bytes.length; offset += DIRECT_CHUNK_BYTES) {
      const n = Math.min(DIRECT_CHUNK_BYTES, bytes.length - offset);
      const padded = Math.ceil(n / DIRECT_ALIGN) * DIRECT_ALIGN;
      staging.set(bytes.subarray(offset, offset + n), at);
      if (padded > n) staging.fill(0, at + n, at + padded);
      for (let done = 0; done < padded;) {
        const { bytesWritten } = await handle.write(
          staging,
          at + done,
          padded - done,
          offset + done,
        );
        if (bytesWritten <= 0) throw new Error(`direct write of ${padded - done} bytes wrote none`);
        done += bytesWritten;
      }
    }
    await handle.truncate(bytes.length);
  }
}

/**
 * Writes `bytes` to a new owner-only file through the page cache. `Deno.writeFile` copies its
 * data on the calling thread before the write starts (2–17 ms for 16 MiB here); a file handle's
 * `write` hands the buffer to the I/O thread as is.
 *
 * @param path The file.
 * @param bytes The contents.
 */
export async function writeBuffered(path: string, bytes: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true, mode: 0o600 });
  try {
    for (let off = 0; off < bytes.length;) off += await file.write(bytes.subarray(off));
  } finally {
    file.close();
  }
}
