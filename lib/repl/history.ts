/**
 * The REPL's persistent input history: one entry per cell in the profile's `history` file
 * (oldest first), de-duplicated (a repeated entry moves to the end) and bounded. A cell of
 * several lines is one entry: it is kept on one line of the file with its lines separated by
 * a carriage return (`\r`, which typed lines never contain), so older files of single lines
 * read the same. The file is private (mode 0600): it may hold secrets typed at the prompt.
 *
 * @module
 */

import { dirname } from "node:path";
import { writeFileAtomic } from "../profile/mod.ts";

/** Options of {@linkcode History.load}. */
export interface HistoryOptions {
  /** Most entries kept. @default 1000 */
  limit?: number;
}

/** A history file in memory; every {@linkcode History.add} saves it. */
export class History {
  #path: string;
  #limit: number;
  #entries: string[];
  #saving: Promise<void> = Promise.resolve();

  private constructor(path: string, limit: number, entries: string[]) {
    this.#path = path;
    this.#limit = limit;
    this.#entries = entries;
  }

  /**
   * Reads a history file (a missing file is an empty history).
   *
   * @param path The file.
   * @param options The bound.
   * @returns The history.
   */
  static async load(path: string, options: HistoryOptions = {}): Promise<History> {
    const limit = options.limit ?? 1000;
    let text = "";
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const entries = text.split("\n").map((l) => l.replace(/\r$/, "").replaceAll("\r", "\n"));
    return new History(path, limit, dedupe(entries.filter((l) => l.trim()), limit));
  }

  /** Entries, oldest first (a copy). */
  get entries(): string[] {
    return [...this.#entries];
  }

  /** Entries newest first, as node:readline wants them. */
  get newestFirst(): string[] {
    return [...this.#entries].reverse();
  }

  /**
   * Appends an entry (moving an equal older entry to the end) and saves the file.
   *
   * @param entry A cell: one line, or several joined with `\n`; blank entries are ignored.
   * @returns When the file is written; rejects when it cannot be (the next add tries again).
   */
  add(entry: string): Promise<void> {
    const cell = entry.replaceAll("\r", "");
    if (cell.trim() === "") return this.#saving;
    this.#entries = dedupe([...this.#entries, cell], this.#limit);
    const text = this.#entries.map((e) => e.replaceAll("\n", "\r")).join("\n") + "\n";
    this.#saving = this.#saving.catch(() => {}).then(async () => {
      await Deno.mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.#path, text, 0o600);
    });
    return this.#saving;
  }

  /** Waits for pending writes. */
  flush(): Promise<void> {
    return this.#saving;
  }
}

function dedupe(lines: string[], limit: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
    const line = lines[i]!;
    if (seen.has(line)) continue;
    seen.add(line);
    out.push(line);
  }
  return out.reverse();
}
