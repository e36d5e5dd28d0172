/**
 * Pacing of the per-operation symlink scan for big data dirs.
 *
 * The scan (see `SymlinkScanner` in `sandbox.ts`) costs one `lstat` per directory of the data
 * dir: ~10 µs for a small one, but 25 ms for 5,100 directories here, and far more on a network
 * file system; and a directory that changed since the last scan is read again, entry by entry:
 * ~14 ms per operation for one directory of 10,000 files that tasks keep writing to. Paid before
 * every operation, either would make a big data dir unusable. So: while the data dir has fewer
 * than {@linkcode PACE_FROM_DIRS} directories and fewer than {@linkcode PACE_FROM_ENTRIES}
 * entries, every operation scans (exactly as before, whatever the load). In a bigger tree the
 * next scan runs only when
 * {@linkcode PACE_FACTOR} times the last scan's duration has passed since it ended (scanning then
 * takes at most about a tenth of the time) and operations in between reuse its result. While the
 * last scan found escaping links, every operation scans again, so removing them takes effect at
 * once. The decision rests on the directory and entry counts, not on timing, so a loaded machine
 * never turns pacing on for a small data dir.
 *
 * What this changes: in a big tree a link planted by another process is seen within ten
 * durations of the last scan instead of by the next operation (measured with 5,100 directories:
 * 16.6 → 0.19 ms per trivial apply; a link was seen ~1.3 s after it was planted, the first scan
 * after start being the slowest since it reads every directory). The scan never caught a link
 * planted during an operation, nor one planted in a directory the running scan had already
 * passed, so for a tree that takes milliseconds to walk the window was already of that order.
 *
 * @module
 */

/** Data dirs with fewer directories than this (~1 ms to scan here) are scanned every time. */
export const PACE_FROM_DIRS = 200;
/**
 * ... and with fewer entries (files, links and directories) in all than this (~1.3 ms to read
 * again here when they all changed).
 */
export const PACE_FROM_ENTRIES = 1000;
/** In a bigger tree a scan is repeated no sooner than this many times its duration after it. */
export const PACE_FACTOR = 10;

/** Something that scans and returns what it found (empty when all is well). */
export type Scan<T> = () => T[];

/** What {@linkcode PacedScan} needs of a scanner. */
export interface PaceableScanner<T> {
  /** Scans; returns what it found (empty when all is well). */
  scan: Scan<T>;
  /** Directories the last scan walked. */
  readonly directories: number;
  /** Entries of those directories, as last read. */
  readonly entries: number;
}

/** Runs a scan before operations, paced as the module doc says. */
export class PacedScan<T> {
  #scanner: PaceableScanner<T>;
  #now: () => number;
  #last: T[] = [];
  #nextAt = -Infinity;

  /**
   * @param scanner The scanner.
   * @param now Clock in ms (`performance.now` by default; tests inject one).
   */
  constructor(scanner: PaceableScanner<T>, now: () => number = () => performance.now()) {
    this.#scanner = scanner;
    this.#now = now;
  }

  /**
   * What the scan finds before an operation: a fresh scan, or the last result while a slow
   * scan is paced and found nothing.
   *
   * @returns The scan's findings.
   */
  check(): T[] {
    const start = this.#now();
    if (this.#last.length === 0 && start < this.#nextAt) return this.#last;
    this.#last = this.#scanner.scan();
    const end = this.#now();
    const small = this.#scanner.directories < PACE_FROM_DIRS &&
      this.#scanner.entries < PACE_FROM_ENTRIES;
    this.#nextAt = small ? -Infinity : end + PACE_FACTOR * (end - start);
    return this.#last;
  }
}
