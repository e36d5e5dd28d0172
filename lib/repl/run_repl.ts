/**
 * {@linkcode runRepl}: the whole interactive program on a connected client — picks terminal or
 * script mode from stdin, prints the start line, reads lines into a {@linkcode ReplSession},
 * relays Ctrl-C and signals, keeps the history, and returns the exit code.
 *
 * Script mode (stdin is not a terminal): no prompts, no colours, no progress line; stdout
 * carries exactly the cells' output, and the start line goes to stderr so transcripts stay
 * clean. SIGINT interrupts a running `%px` (or ends the script when nothing runs).
 *
 * @module
 */

import type { Client } from "../client/client.ts";
import {
  onBackgroundErrors,
  onSignals,
  stdinIsTerminal,
  stdoutIsTerminal,
  stdoutSink,
  TerminalInput,
  writeStderr,
} from "./_terminal.ts";
import { History } from "./history.ts";
import { type LineInput, StreamLineInput } from "./line_input.ts";
import { LocalEvaluator } from "./local_evaluator.ts";
import { createPalette, wantColors } from "./palette.ts";
import { formatLocalError } from "./render.ts";
import { type OutputSink, ReplConsole } from "./repl_console.ts";
import { ReplSession } from "./session.ts";

/** Options of {@linkcode runRepl}. */
export interface RunReplOptions {
  /** The connected client. */
  client: Client;
  /** Profile name, for the start line. */
  profile: string;
  /**
   * The connection file, when it is not a profile's: the start line names it instead of the
   * profile.
   */
  file?: string;
  /** Extra words for the start line, e.g. `local cluster`. */
  note?: string;
  /** The history file (terminal mode only); none when omitted. */
  historyFile?: string;
  /** End with exit code 1 at the first failing cell. @default false */
  exitOnError?: boolean;
  /** Input lines; default: the terminal, or stdin as a script. */
  input?: LineInput;
  /** Output; default: stdout. */
  sink?: OutputSink;
  /** Treat the input as a terminal. @default stdin is a terminal */
  interactive?: boolean;
  /** Where the start line and warnings go in script mode. @default stderr */
  writeInfo?: (text: string) => void;
}

/**
 * The line the REPL starts with.
 *
 * @param ids Engine ids connected.
 * @param profile Profile name.
 * @param note Extra words after the profile.
 * @param file A connection file outside the profiles, named instead of the profile.
 * @returns E.g. `ipx repl: 2 engines connected (ids 0,1), profile default; %help lists the magics`
 * (`…, file /path/c.json; …` with a file).
 */
export function formatStartLine(
  ids: readonly number[],
  profile: string,
  note?: string,
  file?: string,
): string {
  const engines = ids.length === 0
    ? "no engines connected yet"
    : `${ids.length} engine${ids.length === 1 ? "" : "s"} connected (ids ${ids.join(",")})`;
  const where = file === undefined ? `profile ${profile}` : `file ${file}`;
  return `ipx repl: ${engines}, ${where}${note ? ` (${note})` : ""}; %help lists the magics\n`;
}

/**
 * Runs the REPL until the input ends, `%exit`, a terminating signal, or (with `exitOnError`)
 * a failing cell.
 *
 * @param options Client, profile, history and seams.
 * @returns The exit code: 0, 1 after a failing cell with `exitOnError`, 130 after SIGINT in
 * script mode, 143/129/131 after SIGTERM/SIGHUP/SIGQUIT.
 */
export async function runRepl(options: RunReplOptions): Promise<number> {
  const interactive = options.interactive ?? stdinIsTerminal();
  const sink = options.sink ?? stdoutSink(interactive && stdoutIsTerminal());
  const info = options.writeInfo ?? writeStderr;
  const palette = createPalette(wantColors(sink.isTerminal, Deno.env.get("NO_COLOR")));
  const output = new ReplConsole(sink);
  using evaluator = await LocalEvaluator.create();
  let remember = (_source: string) => {};
  // set once the input exists (an engine may come or go while the REPL starts)
  let above: (text: string) => boolean = () => false;
  using session = await ReplSession.create({
    client: options.client,
    evaluator,
    console: output,
    palette,
    onCell: (source) => remember(source),
    // a script's stdout holds only the cells' output: notices go beside the start line
    notify: (text) => interactive ? above(text) || output.write(text) : info(text),
    localCell: (running) => input.localCell?.(running),
  });
  let history: History | undefined;
  let historyWarned = false;
  const historyFailed = (error: unknown) => {
    if (historyWarned) return;
    historyWarned = true;
    info(
      `ipx repl: cannot keep the history in ${options.historyFile}: ${
        (error as Error).message
      }; going on without saving it\n`,
    );
  };
  if (interactive && options.historyFile) {
    history = await History.load(options.historyFile).catch((e) => {
      historyFailed(e);
      return undefined;
    });
  }
  const input: LineInput = options.input ?? (interactive
    ? new TerminalInput({
      complete: (line) => session.complete(line),
      history: history?.newestFirst ?? [],
      onEndOfLine: () => {
        if (!session.continuing) return undefined;
        session.cancelInput();
        return session.prompt;
      },
      onInterrupt: (atPrompt) => {
        if (!atPrompt) {
          session.interrupt();
          return undefined;
        }
        session.cancelInput();
        return session.prompt;
      },
    })
    : new StreamLineInput(Deno.stdin.readable));

  above = (text) => input.above?.(text) ?? false;
  remember = (source) => {
    input.remember?.(source);
    history?.add(source).catch(historyFailed);
  };

  const start = formatStartLine(options.client.ids, options.profile, options.note, options.file);
  if (interactive) output.write(start);
  else info(start);

  const stop = Promise.withResolvers<number>();
  let stopped: number | undefined;
  const stopWith = (exit: number) => {
    stopped ??= exit;
    stop.resolve(exit);
  };
  const offSignals = onSignals((signal) => {
    // a SIGINT that already stopped a spinning local cell (see local_interrupt.ts)
    if (signal === "SIGINT" && evaluator.interrupt.spent()) return;
    if (signal === "SIGINT") {
      if (!session.interrupt() && !interactive) stopWith(130);
      return;
    }
    session.interrupt();
    stopWith(signal === "SIGTERM" ? 143 : signal === "SIGQUIT" ? 131 : 129);
  });
  const offErrors = onBackgroundErrors((thrown) => {
    output.write(`(in the background) ${formatLocalError(thrown, palette)}`);
  });
  let code = 0;
  try {
    while (stopped === undefined) {
      const next = await Promise.race([
        input.read(session.prompt).then((line) => ({ line })),
        stop.promise.then((exit) => ({ exit })),
      ]);
      if ("exit" in next) {
        if (interactive) output.write("\n"); // end the prompt's line
        code = next.exit;
        break;
      }
      if (next.line === null) {
        if (interactive) output.write("\n");
        const last = await session.end();
        if (last.failed && options.exitOnError) code = 1;
        break;
      }
      // a cell recalled from the history comes as one line with newlines in it
      let end = false;
      for (const line of next.line.split("\n")) {
        const result = await session.feed(line);
        if (result.failed && options.exitOnError) code = 1;
        end = code === 1 || result.exit || stopped !== undefined;
        if (end) break;
      }
      if (end) break;
    }
    if (stopped !== undefined) code = stopped;
  } finally {
    input.close();
    offSignals();
    offErrors();
    await history?.flush().catch(() => {});
  }
  return code;
}
