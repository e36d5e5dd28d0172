/**
 * {@linkcode ReplSession}: the REPL without a terminal. It is fed input lines and writes to a
 * {@linkcode ReplConsole}; it owns the mode (local or autopx), the cell counter, the `%px`
 * defaults and the last parallel result, and runs local cells in a {@linkcode LocalEvaluator}
 * with `rc`, `dv` and `lv` bound.
 *
 * @module
 */

import type { Client } from "../client/client.ts";
import { complete, type Completion } from "./completer.ts";
import { MagicUsageError } from "./errors.ts";
import {
  cancelInput,
  type Cell,
  endInput,
  INITIAL_READER_STATE,
  type Mode,
  promptText,
  type ReaderState,
  readLine,
  toggleAutopx,
  typingEngineCode,
} from "./input_reader.ts";
import { Interrupts } from "./interrupts.ts";
import type { LocalEvaluator } from "./local_evaluator.ts";
import { KeyboardInterrupt } from "./local_interrupt.ts";
import { type CellResult, MAGIC_HANDLERS, type MagicContext } from "./magic_handlers.ts";
import { formatEngineNotice } from "./engine_notices.ts";
import { importHint, isStaticImportError } from "./import_hint.ts";
import { findMagic } from "./magic_table.ts";
import { explainNoEngines } from "./no_engines.ts";
import type { Palette } from "./palette.ts";
import { DEFAULT_PX_CONFIG, type GroupOutputs, type PxConfig } from "./px_config.ts";
import { awaitPx, type PxRecord, submitPx } from "./px_runner.ts";
import { formatFailure, formatLocalError, formatOut } from "./render.ts";
import type { ReplConsole } from "./repl_console.ts";
import { resolveTargets } from "./target_spec.ts";
import { isIncomplete } from "./ts_source.ts";

/** Options of {@linkcode ReplSession}. */
export interface ReplSessionOptions {
  /** The connected client (bound as `rc`). */
  client: Client;
  /** The local namespace. */
  evaluator: LocalEvaluator;
  /** Output. */
  console: ReplConsole;
  /** Colours. */
  palette: Palette;
  /** Show a blocking `%px`'s progress line after this long (terminals only). @default 2000 */
  progressAfterMs?: number;
  /** Refresh it this often. @default 200 */
  progressEveryMs?: number;
  /** Bound on fetching the engines' names for completion. @default 1000 */
  completionTimeoutMs?: number;
  /**
   * With no engine registered, how long the controller may take to answer before `%px` says
   * it cannot be reached. @default 1000
   */
  probeMs?: number;
  /**
   * Called with a cell's source (its lines joined with `\n`, without the blank line that ends
   * a `%%px` cell) once it is read, before it runs: for the history.
   */
  onCell?: (source: string) => void;
  /**
   * Where notices of engines registering and dying go (one line each, at any time, also while
   * the prompt waits). @default the console
   */
  notify?: (text: string) => void;
  /**
   * Called with true before a local cell runs and false after: a terminal lets Ctrl-C through
   * as a signal meanwhile (the REPL's thread runs the cell, so it reads no keys).
   */
  localCell?: (running: boolean) => void;
}

/** What feeding a line did. */
export interface FeedResult {
  /** A cell ran and failed. */
  failed: boolean;
  /** The REPL should end (`%exit`). */
  exit: boolean;
}

const NOTHING: FeedResult = { failed: false, exit: false };

/** The REPL's state and behaviour, driven line by line. */
export class ReplSession implements MagicContext, Disposable {
  #o: ReplSessionOptions;
  #state: ReaderState = INITIAL_READER_STATE;
  #typed: string[] = [];
  #cell = 1;
  #interrupts = new Interrupts();
  #last: PxRecord | undefined;
  #offEngines: () => void = () => {};
  /** Defaults of parallel executions. */
  pxConfig: PxConfig = { ...DEFAULT_PX_CONFIG };

  private constructor(options: ReplSessionOptions) {
    this.#o = options;
  }

  /**
   * Makes a session and binds `rc`, `dv` and `lv` in the local namespace.
   *
   * @param options Client, namespace, output.
   * @returns The session.
   */
  static async create(options: ReplSessionOptions): Promise<ReplSession> {
    const s = new ReplSession(options);
    const { client, evaluator } = options;
    await evaluator.assign("rc", client);
    await evaluator.assign("dv", client.directView());
    await evaluator.assign("lv", client.loadBalancedView());
    const notify = options.notify ?? ((text: string) => s.console.write(text));
    s.#offEngines = client.onEngine((event) => {
      const text = formatEngineNotice(event, client.ids);
      if (text) notify(text);
    });
    return s;
  }

  /** Stops the engine notices. */
  [Symbol.dispose](): void {
    this.#offEngines();
  }

  /** The client. */
  get client(): Client {
    return this.#o.client;
  }

  /** The output. */
  get console(): ReplConsole {
    return this.#o.console;
  }

  /** Where plain input runs now. */
  get mode(): Mode {
    return this.#state.mode;
  }

  /** Whether a cell is being typed over several lines (the prompt is `...:`). */
  get continuing(): boolean {
    return this.#state.pending.kind !== "none";
  }

  /** The prompt for the next line, coloured when colours are on. */
  get prompt(): string {
    return this.#o.palette.prompt(promptText(this.#state, this.#cell));
  }

  /**
   * Feeds one input line; runs the cell it completes, if any.
   *
   * @param line The line, without its newline.
   * @returns Whether a cell failed and whether to exit.
   */
  async feed(line: string): Promise<FeedResult> {
    const step = readLine(this.#state, line, isIncomplete);
    this.#state = step.state;
    this.#typed.push(line);
    if (this.#state.pending.kind === "none") this.#read(step.cell !== undefined);
    return step.cell ? await this.#run(step.cell) : NOTHING;
  }

  /** A cell was read (or blank lines were skipped): hands its source to `onCell`. */
  #read(cell: boolean): void {
    const lines = this.#typed;
    this.#typed = [];
    while (lines.length && lines.at(-1)!.trim() === "") lines.pop();
    if (cell && lines.length) this.#o.onCell?.(lines.join("\n"));
  }

  /**
   * Ends the input: runs a cell still being typed.
   *
   * @returns Whether it failed.
   */
  async end(): Promise<FeedResult> {
    const step = endInput(this.#state);
    this.#state = step.state;
    this.#read(step.cell !== undefined);
    return step.cell ? await this.#run(step.cell) : NOTHING;
  }

  /** Drops a cell being typed (Ctrl-C at a prompt). */
  cancelInput(): void {
    this.#state = cancelInput(this.#state);
    this.#typed = [];
  }

  /**
   * Ctrl-C while a cell runs: stops a blocking `%px` (or stops waiting for a local cell).
   *
   * @returns False when nothing was running (the prompt should handle it).
   */
  interrupt(): boolean {
    return this.#interrupts.fire();
  }

  /**
   * Completes the line being typed.
   *
   * @param line Text left of the cursor.
   * @returns Candidates and the text they replace.
   */
  complete(line: string): Promise<Completion> {
    const { evaluator } = this.#o;
    return complete(line, typingEngineCode(this.#state), {
      localNames: () => evaluator.names(),
      localProperties: (expression) => evaluator.properties(expression),
      engineNames: () => this.#engineNames(),
      engineIds: () => this.client.ids,
    });
  }

  async #engineNames(): Promise<string[]> {
    try {
      const ids = resolveTargets(this.pxConfig.targets, this.client.ids);
      const ar = this.client.directView(ids).names();
      if (!(await ar.wait(this.#o.completionTimeoutMs ?? 1000))) return [];
      return (await ar).flat();
    } catch {
      return []; // no engines, or a name query failed: nothing to offer
    }
  }

  /** Switches local ⇄ autopx mode. */
  toggleAutopx(): Mode {
    this.#state = toggleAutopx(this.#state);
    return this.#state.mode;
  }

  async #run(cell: Cell): Promise<FeedResult> {
    const number = this.#cell++;
    try {
      const result = await this.#dispatch(cell, number);
      return { failed: result.failed, exit: result.exit ?? false };
    } catch (error) {
      this.console.write(formatFailure(error, this.#o.palette));
      return { failed: true, exit: false };
    }
  }

  #dispatch(cell: Cell, number: number): Promise<CellResult> {
    if (cell.kind === "invalid") {
      throw new MagicUsageError(
        `Cannot read "${cell.text}" as a magic: magics look like %name; %help lists them`,
      );
    }
    if (cell.kind === "code") {
      return cell.where === "engines"
        ? this.runPx(cell.code, this.pxConfig, undefined)
        : this.#runLocal(cell.code, number);
    }
    const spec = findMagic(cell.name);
    if (!spec) {
      throw new MagicUsageError(`Unknown magic ${cell.name}; %help lists the magics`);
    }
    if (spec.args === "cell" && cell.body === undefined) {
      throw new MagicUsageError(`${spec.name} is a cell magic: put its code on the next lines`);
    }
    return MAGIC_HANDLERS[spec.name]({ spec, rest: cell.rest, body: cell.body }, this);
  }

  async #runLocal(code: string, number: number): Promise<CellResult> {
    const { evaluator, palette } = this.#o;
    this.#o.localCell?.(true);
    let raced;
    try {
      raced = await this.#interrupts.race(evaluator.evaluate(code));
    } finally {
      this.#o.localCell?.(false);
    }
    if (!raced.done) {
      this.console.write(
        `${palette.error("KeyboardInterrupt:")} stopped waiting for the local cell ` +
          `(it waits on a promise, which cannot be stopped: it goes on in the background)\n`,
      );
      return { failed: true };
    }
    const outcome = raced.value;
    if (!outcome.ok && outcome.error instanceof KeyboardInterrupt) {
      this.console.write(`${palette.error("KeyboardInterrupt:")} ${outcome.error.message}\n`);
      return { failed: true };
    }
    if (!outcome.ok) {
      const hint = isStaticImportError(outcome.error) ? importHint(code) : "";
      this.console.write(formatLocalError(outcome.error, palette, hint));
      return { failed: true };
    }
    this.console.write(formatOut(String(number), outcome.value, palette));
    return { failed: false };
  }

  /**
   * Runs code on the engines the config targets (blocking: streams and waits; otherwise binds
   * the AsyncResult to `outName` or `_` and returns).
   *
   * @param code The code.
   * @param config Targets, blocking, streaming, grouping.
   * @param outName Also bind the AsyncResult to this local name.
   * @returns Whether it failed.
   */
  async runPx(code: string, config: PxConfig, outName: string | undefined): Promise<CellResult> {
    const targets = await this.#targets(config);
    const record = submitPx(this.client, code, targets);
    this.#last = record;
    if (outName !== undefined || !config.block) {
      await this.#o.evaluator.assign(outName ?? "_", record.ar);
    }
    if (!config.block) {
      this.console.write(
        `<AsyncResult(%px) on engines ${targets.join(",")}: pending> bound to ${outName ?? "_"} ` +
          `(%pxresult or await ${outName ?? "_"} shows it)\n`,
      );
      return { failed: false };
    }
    return await awaitPx(record, {
      ...this.#showOptions(),
      stream: config.stream,
      groupOutputs: config.groupOutputs,
    });
  }

  async #targets(config: PxConfig): Promise<number[]> {
    let ids = this.client.ids;
    if (ids.length === 0) {
      const why = await explainNoEngines(this.client, this.#o.probeMs ?? 1000);
      // the controller answers after it told of any engine registered before: one that
      // registered just now is known by the time it answered
      ids = this.client.ids;
      if (ids.length === 0) throw why;
    }
    return resolveTargets(config.targets, ids);
  }

  /**
   * Shows the last parallel execution again, waiting for it if it still runs.
   *
   * @param groupOutputs Grouping of its outputs.
   * @returns Whether it failed.
   */
  async showLastPx(groupOutputs: GroupOutputs): Promise<CellResult> {
    if (!this.#last) {
      throw new MagicUsageError(
        "%pxresult recalls the last %px result, but no %px has run yet; run %px CODE first",
      );
    }
    return await awaitPx(this.#last, { ...this.#showOptions(), stream: false, groupOutputs });
  }

  #showOptions() {
    const o = this.#o;
    return {
      console: o.console,
      palette: o.palette,
      interrupts: this.#interrupts,
      ...(o.progressAfterMs !== undefined ? { progressAfterMs: o.progressAfterMs } : {}),
      ...(o.progressEveryMs !== undefined ? { progressEveryMs: o.progressEveryMs } : {}),
    };
  }
}
