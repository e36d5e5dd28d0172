/**
 * Driving a {@linkcode ReplSession} in tests: an in-memory cluster, a captured output sink
 * whose text can be awaited, and a session wired to both.
 *
 * @module
 */

import { LocalEvaluator } from "../../lib/repl/local_evaluator.ts";
import { createPalette } from "../../lib/repl/palette.ts";
import { type OutputSink, ReplConsole } from "../../lib/repl/repl_console.ts";
import { type FeedResult, ReplSession } from "../../lib/repl/session.ts";
import { type MemoryCluster, startMemoryCluster } from "./memory_cluster.ts";

/** An output sink that records everything and lets tests wait for text. */
export class CaptureSink implements OutputSink {
  /** Everything written so far. */
  text = "";
  /** Whether to pretend to be a terminal. */
  readonly isTerminal: boolean;
  #waiters: { test: (text: string) => boolean; resolve: () => void }[] = [];

  /** @param isTerminal Pretend to be a terminal. */
  constructor(isTerminal = false) {
    this.isTerminal = isTerminal;
  }

  /** @param text Appended to {@linkcode text}. */
  write(text: string): void {
    this.text += text;
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test(this.text)) return true;
      w.resolve();
      return false;
    });
  }

  /**
   * Resolves once the captured text (from `from` on) matches; rejects, showing the text, when
   * it has not after `timeoutMs` (so a missing output fails the test instead of hanging it).
   *
   * @param re Pattern.
   * @param from Offset to search from.
   * @param timeoutMs Bound on the wait. @default 30000
   */
  waitFor(re: RegExp, from = 0, timeoutMs = 30_000): Promise<void> {
    const test = (text: string) => re.test(text.slice(from));
    if (test(this.text)) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const waiter = { test, resolve };
    const timer = setTimeout(() => {
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      reject(new Error(`the output never matched ${re}:\n${this.text.slice(from)}`));
    }, timeoutMs);
    this.#waiters.push(waiter);
    return promise.finally(() => clearTimeout(timer));
  }

  /** Returns the text written since the last call (and marks it read). */
  take(): string {
    const out = this.text.slice(this.#read);
    this.#read = this.text.length;
    return out;
  }
  #read = 0;
}

/** A session on an in-memory cluster. */
export interface TestRepl extends AsyncDisposable {
  /** The session under test. */
  session: ReplSession;
  /** Its output. */
  sink: CaptureSink;
  /** The in-memory cluster it talks to. */
  cluster: MemoryCluster;
  /** Feeds lines one by one; returns the output they produced. */
  run(...lines: string[]): Promise<string>;
  /** Results of the feeds of the last {@linkcode run}. */
  results: FeedResult[];
}

/**
 * Starts a cluster and a session.
 *
 * @param options Engines, terminal pretence, progress timing.
 */
export async function startTestRepl(
  options: {
    engines?: number;
    isTerminal?: boolean;
    progressAfterMs?: number;
    probeMs?: number;
  } = {},
): Promise<TestRepl> {
  const cluster = await startMemoryCluster({ engines: options.engines ?? 2 });
  const evaluator = await LocalEvaluator.create();
  const sink = new CaptureSink(options.isTerminal ?? false);
  const session = await ReplSession.create({
    client: cluster.client,
    evaluator,
    console: new ReplConsole(sink),
    palette: createPalette(false),
    progressEveryMs: 20,
    ...(options.progressAfterMs !== undefined ? { progressAfterMs: options.progressAfterMs } : {}),
    ...(options.probeMs !== undefined ? { probeMs: options.probeMs } : {}),
  });
  const repl: TestRepl = {
    session,
    sink,
    cluster,
    results: [],
    async run(...lines) {
      sink.take();
      repl.results = [];
      for (const line of lines) repl.results.push(await session.feed(line));
      return sink.take();
    },
    async [Symbol.asyncDispose]() {
      session[Symbol.dispose]();
      evaluator.close();
      await cluster[Symbol.asyncDispose]();
    },
  };
  return repl;
}
