/**
 * Running code on engines for `%px`, `%%px` and `%autopx`: submit it, stream its output, show
 * a progress line while it takes long, stop the remote work on Ctrl-C, and print the outcome.
 *
 * @module
 */

import type { AsyncResult, Settled } from "../client/async_result.ts";
import type { Client } from "../client/client.ts";
import type { Interrupts } from "./interrupts.ts";
import type { Palette } from "./palette.ts";
import type { GroupOutputs } from "./px_config.ts";
import { renderPxOutcome } from "./px_render.ts";
import { formatProgress, type ReplConsole } from "./repl_console.ts";
import { type Chunk, StreamPrinter } from "./stream_printer.ts";

/** A submitted parallel execution and every output chunk it produced so far. */
export interface PxRecord {
  /** The handle. */
  readonly ar: AsyncResult<unknown[]>;
  /** The engines it runs on, in order. */
  readonly targets: readonly number[];
  /** Output chunks in arrival order (collected from submission on). */
  readonly chunks: Chunk[];
}

/**
 * Submits code to engines and starts collecting its output.
 *
 * @param client The client.
 * @param code The code.
 * @param targets Engine ids (already checked to be registered).
 * @returns The record.
 */
export function submitPx(client: Client, code: string, targets: readonly number[]): PxRecord {
  const ar = client.directView([...targets]).execute(code);
  const chunks: Chunk[] = [];
  ar.onOutput((c) => chunks.push({ engineId: c.engineId, name: c.name, text: c.text }));
  return { ar, targets, chunks };
}

/** How {@linkcode awaitPx} shows an execution. */
export interface AwaitPxOptions {
  /** Output. */
  console: ReplConsole;
  /** Colours. */
  palette: Palette;
  /** Ctrl-C. */
  interrupts: Interrupts;
  /**
   * Print output as it arrives (otherwise grouped at the end). When the console is not a
   * terminal, only the first target's stdout is printed live and the rest is grouped by engine.
   */
  stream: boolean;
  /** Grouping when not streamed. */
  groupOutputs: GroupOutputs;
  /** Show the progress line (terminals only) after this long. @default 2000 */
  progressAfterMs?: number;
  /** Refresh the progress line this often. @default 200 */
  progressEveryMs?: number;
}

/** The outcome of {@linkcode awaitPx}. */
export interface PxShown {
  /** Some engine failed, or the wait was interrupted. */
  failed: boolean;
}

function startProgress(ar: AsyncResult<unknown[]>, o: AwaitPxOptions): () => void {
  if (!o.console.isTerminal) return () => {};
  let every: ReturnType<typeof setInterval> | undefined;
  const update = () => o.console.setStatus(formatProgress(ar.progress, ar.length, ar.elapsedMs));
  const first = setTimeout(() => {
    update();
    every = setInterval(update, o.progressEveryMs ?? 200);
  }, o.progressAfterMs ?? 2000);
  return () => {
    clearTimeout(first);
    clearInterval(every);
    o.console.setStatus(undefined);
  };
}

function running(ar: AsyncResult<unknown[]>): number[] {
  return ar.metadata.filter((m) => m.status === "pending").map((m) => m.engineId);
}

/**
 * Prints output as it arrives. On a terminal every chunk is shown at once, in arrival order.
 * Elsewhere (a script, a pipe) arrival order differs from run to run, so only the first target's
 * stdout is shown live; {@linkcode LivePrinter.rest} then gives what is left of the text
 * `--no-stream --group-outputs engine` would print, which makes the transcript reproducible.
 */
class LivePrinter {
  #record: PxRecord;
  #printer: StreamPrinter;
  #ordered: boolean;
  #prefixStdout: boolean;
  #palette: Palette;
  #shown = "";

  constructor(record: PxRecord, ordered: boolean, prefixStdout: boolean, palette: Palette) {
    this.#record = record;
    this.#printer = new StreamPrinter({ prefixStdout }, palette);
    this.#ordered = ordered;
    this.#prefixStdout = prefixStdout;
    this.#palette = palette;
  }

  /** Text to print now for a chunk (maybe ""). */
  push(chunk: Chunk): string {
    if (this.#ordered && (chunk.engineId !== this.#record.targets[0] || chunk.name !== "stdout")) {
      return "";
    }
    const text = this.#printer.push(chunk);
    this.#shown += text;
    return text;
  }

  /** Partial lines still held (when the wait is abandoned). */
  flush(): string {
    return this.#printer.flush();
  }

  /** Everything still to print once every task settled: held output, results, summary. */
  rest(settled: readonly Settled[]): string {
    const render = (streamed: boolean) =>
      renderPxOutcome(settled, this.#record.chunks, {
        streamed,
        groupOutputs: "engine",
        prefixStdout: this.#prefixStdout,
        palette: this.#palette,
      });
    if (!this.#ordered) return this.#printer.flush() + render(true);
    const all = render(false);
    // what was shown live is the start of the grouped text: the first target's stdout, pushed
    // through a printer the same way, in the same order
    return all.startsWith(this.#shown)
      ? all.slice(this.#shown.length)
      : this.#printer.flush() + all;
  }
}

/**
 * Waits for an execution and prints it. The first Ctrl-C stops the remote work on the engines
 * still running it (they restart their code worker, which resets their namespace); a second
 * one stops waiting and leaves the tasks to `%pxresult`.
 *
 * Streamed output appears in arrival order on a terminal; when the output is not a terminal it
 * is printed grouped by engine in target order (only the first target's stdout live), so a
 * script's transcript is the same from run to run.
 *
 * @param record The execution.
 * @param options Output, streaming and interrupts.
 * @returns Whether it failed.
 */
export async function awaitPx(record: PxRecord, options: AwaitPxOptions): Promise<PxShown> {
  const { ar } = record;
  const o = options;
  // stdout is labelled as stderr is, on one engine as on several (as ipyparallel's %px labels
  // a view's output even with one engine): unlabelled stdout next to labelled stderr read as if
  // they came from different places
  const prefixStdout = true;
  const printer = o.stream
    ? new LivePrinter(record, !o.console.isTerminal, prefixStdout, o.palette)
    : undefined;
  const off = printer ? ar.onOutput((c) => o.console.write(printer.push(c))) : () => {};
  const stopProgress = startProgress(ar, o);
  try {
    let outcome = await o.interrupts.race(ar.settled());
    if (!outcome.done) {
      o.console.write(
        `${o.palette.error("KeyboardInterrupt:")} stopping the code on engines ${
          running(ar).join(",")
        } (Ctrl-C again stops waiting)\n`,
      );
      ar.interrupt();
      outcome = await o.interrupts.race(ar.settled());
      if (!outcome.done) {
        stopProgress();
        o.console.write(printer?.flush() ?? "");
        o.console.write(
          `Stopped waiting; engines ${running(ar).join(",")} may still be running it ` +
            `(%pxresult shows it when it ends)\n`,
        );
        return { failed: true };
      }
    }
    stopProgress();
    o.console.write(
      printer ? printer.rest(outcome.value) : renderPxOutcome(outcome.value, record.chunks, {
        streamed: false,
        groupOutputs: o.groupOutputs,
        prefixStdout,
        palette: o.palette,
      }),
    );
    return { failed: outcome.value.some((s) => !s.ok) };
  } finally {
    off();
    stopProgress();
  }
}
