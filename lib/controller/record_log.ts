/**
 * An append-only file of task-record images: the controller's cheap commit. Before the
 * controller sends a frame that speaks of a task (placed on an engine, finished), the task's
 * record must be on disk; one `write` of the changed records to this file does that, where a
 * SQLite transaction costs several writes and B-tree updates (~40–100 µs per commit here, the
 * largest single cost per task in the controller). The records reach SQLite in batches, on a
 * timer, and the file is emptied after each batch; a controller that starts after a crash
 * first applies what the file holds.
 *
 * Durability is SQLite's with `synchronous=NORMAL` in WAL mode, which the state database uses:
 * neither syncs on commit, so what was written survives the controller being killed, and the
 * last writes may be lost on a power failure.
 *
 * Entry layout: `length (u32 LE) ‖ CRC-32 of the body (u32 LE) ‖ body`. A torn last entry (the
 * process died inside a write, or the machine lost power) fails its length or checksum check,
 * and it and anything after it are ignored.
 *
 * @module
 */

/** Bytes before each entry's body. */
export const ENTRY_HEADER_BYTES = 8;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 (IEEE, as zlib and PNG compute it).
 *
 * @param bytes The bytes.
 * @returns The checksum.
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Frames entries for the file.
 *
 * @param bodies Entry bodies.
 * @returns One buffer holding every entry.
 */
export function encodeEntries(bodies: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const b of bodies) size += ENTRY_HEADER_BYTES + b.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const b of bodies) {
    view.setUint32(at, b.length, true);
    view.setUint32(at + 4, crc32(b), true);
    out.set(b, at + ENTRY_HEADER_BYTES);
    at += ENTRY_HEADER_BYTES + b.length;
  }
  return out;
}

/**
 * Reads entries back: every whole, intact entry from the start, stopping at the first one that
 * is cut short or fails its checksum.
 *
 * @param bytes The file's contents.
 * @returns The entry bodies, and how many bytes at the end were ignored.
 */
export function decodeEntries(bytes: Uint8Array): { bodies: Uint8Array[]; ignored: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bodies: Uint8Array[] = [];
  let at = 0;
  while (at + ENTRY_HEADER_BYTES <= bytes.length) {
    const length = view.getUint32(at, true);
    const end = at + ENTRY_HEADER_BYTES + length;
    if (end > bytes.length) break;
    const body = bytes.subarray(at + ENTRY_HEADER_BYTES, end);
    if (crc32(body) !== view.getUint32(at + 4, true)) break;
    bodies.push(body);
    at = end;
  }
  return { bodies, ignored: bytes.length - at };
}

/** The open record file of a task store. */
export class RecordLog {
  #file: Deno.FsFile;
  #path: string;
  #size = 0;

  private constructor(file: Deno.FsFile, path: string) {
    this.#file = file;
    this.#path = path;
  }

  /**
   * Reads what a previous run left in the file (entries not yet applied to the database).
   *
   * @param path The file.
   * @returns The intact entries (none when the file does not exist), and how many bytes of a
   * torn tail were ignored.
   */
  static readLeftovers(path: string): { bodies: Uint8Array[]; ignored: number } {
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return { bodies: [], ignored: 0 };
      throw error;
    }
    return decodeEntries(bytes);
  }

  /**
   * Opens (creating, owner-only) the file for appending. Call it after the leftovers were
   * applied: it empties the file.
   *
   * @param path The file.
   * @returns The log.
   */
  static open(path: string): RecordLog {
    const file = Deno.openSync(path, { read: false, append: true, create: true, mode: 0o600 });
    try {
      if (Deno.build.os !== "windows") Deno.chmodSync(path, 0o600);
      file.truncateSync(0);
    } catch (error) {
      file.close();
      throw error;
    }
    return new RecordLog(file, path);
  }

  /** Where the file is. */
  get path(): string {
    return this.#path;
  }

  /** Bytes appended since the file was last emptied. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends entries with one write (more only if the system writes part of it). When a write
   * fails (a full disk), the part already written is cut off again, so the entries after it
   * stay readable, and the error is thrown.
   *
   * @param bodies Entry bodies.
   */
  append(bodies: readonly Uint8Array[]): void {
    if (bodies.length === 0) return;
    const bytes = encodeEntries(bodies);
    let at = 0;
    try {
      while (at < bytes.length) at += this.#file.writeSync(bytes.subarray(at));
    } catch (error) {
      try {
        this.#file.truncateSync(this.#size);
      } catch {
        // the torn entry stays; reading stops there
      }
      throw error;
    }
    this.#size += bytes.length;
  }

  /** Empties the file: what it held is in the database now. */
  clear(): void {
    if (this.#size === 0) return;
    this.#file.truncateSync(0);
    this.#size = 0;
  }

  /** Closes the file (its contents stay). */
  close(): void {
    try {
      this.#file.close();
    } catch {
      // already closed
    }
  }
}
