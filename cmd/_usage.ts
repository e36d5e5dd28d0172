/**
 * Command-line error handling shared by `main.ts` and every `cmd/*.ts`: {@linkcode UsageError}
 * (exit 2) versus everything else (exit 1), printed as `ipx: <message>` without a stack trace
 * unless `IPX_DEBUG=1`.
 *
 * @module
 */

import { type Command, CommanderError } from "commander";
import { IpxError, MAX_FRAME_LIMIT_BYTES } from "../lib/protocol/errors.ts";

/** The command line was used wrongly (bad argument, unknown option, invalid name). Exit 2. */
export class UsageError extends IpxError {
  /** The process exit code for usage errors. */
  readonly exitCode = 2;
}

/** Options for {@linkcode reportError}. */
export interface ReportErrorOptions {
  /**
   * Print stack traces and causes in full.
   * @default {Deno.env.get("IPX_DEBUG") === "1"}
   */
  debug?: boolean;
  /**
   * Where lines go.
   * @default {console.error}
   */
  writeLine?: (line: string) => void;
}

/**
 * Makes a command tree report errors the ipx way: commander throws instead of exiting, prints
 * its own parse errors as `ipx: <message>`, and points at `--help`. Applies to every
 * subcommand, including ones added with `addCommand()` (which commander does not configure).
 *
 * @param command The root of the tree; it is changed in place.
 * @returns The same command.
 */
export function configureErrors(command: Command): Command {
  command
    .exitOverride()
    .showHelpAfterError(`(run \`${commandPath(command)} --help\` for usage)`)
    .configureOutput({
      outputError: (text, write) => write(text.replace(/^error: /, "ipx: ")),
    });
  for (const sub of command.commands) configureErrors(sub);
  return command;
}

/**
 * Prints an error and picks the exit code: 0 for commander's help and version exits, 2 for
 * usage errors (commander's own parse errors included; commander already printed those), 1 for
 * anything else.
 *
 * @param error What was thrown.
 * @param options Debug mode and output.
 * @returns The exit code.
 */
export function reportError(error: unknown, options: ReportErrorOptions = {}): number {
  const debug = options.debug ?? Deno.env.get("IPX_DEBUG") === "1";
  const writeLine = options.writeLine ?? ((line: string) => console.error(line));
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (debug) {
    writeLine(`ipx: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  } else {
    writeLine(`ipx: ${error instanceof Error ? error.message : String(error)}`);
  }
  let shown = error instanceof Error ? error.message : "";
  let cause = error instanceof Error ? error.cause : undefined;
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    const text = cause instanceof Error ? cause.message : String(cause);
    if (debug) {
      writeLine(`  caused by: ${cause instanceof Error ? cause.stack ?? text : text}`);
    } else if (!shown.includes(text)) {
      writeLine(`  caused by: ${text}`);
    }
    shown += text;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return error instanceof UsageError ? error.exitCode : 1;
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** What `--hwm` says, for `ipx controller` and `ipx cluster start`. */
export const HWM_HELP = "most load-balanced tasks outstanding per engine (0 = no limit; auto = 2 " +
  "for tasks of 1 ms or more, up to 16 for tiny ones)";

/**
 * Parses `--hwm`: `auto` or a count.
 *
 * @param value The flag's text.
 * @returns The mark.
 * @throws {UsageError} For anything else.
 */
export function parseHwm(value: string): number | "auto" {
  if (value === "auto") return "auto";
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0) {
    throw new UsageError(`--hwm must be "auto" or an integer of at least 0, got "${value}"`);
  }
  return n;
}

/** Largest `--max-frame-mb`: the codec decodes binary values of up to 1 GiB. */
export const MAX_FRAME_MB = MAX_FRAME_LIMIT_BYTES / (1024 * 1024);

/** Help text of `--max-frame-mb`. */
export const MAX_FRAME_HELP =
  `largest message the controller accepts, in MiB (1 to ${MAX_FRAME_MB}); engines and ` +
  `clients learn it, refuse to send more and say so`;

/**
 * Parses `--max-frame-mb` into bytes.
 *
 * @param value The option's text.
 * @returns The limit in bytes.
 * @throws {UsageError} Unless an integer from 1 to {@linkcode MAX_FRAME_MB}.
 */
export function parseMaxFrameMb(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 1 || n > MAX_FRAME_MB) {
    throw new UsageError(
      `--max-frame-mb must be an integer from 1 to ${MAX_FRAME_MB} (the largest value the ` +
        `codec decodes is 1 GiB), got "${value}"`,
    );
  }
  return n * 1024 * 1024;
}

/**
 * Parses an integer option with a lower bound (`--port`, `--dead-after-ms`, …).
 *
 * @param flag The option's name, for the message.
 * @param value The option's text.
 * @param min The smallest value allowed.
 * @returns The number.
 * @throws {UsageError} Unless an integer of at least `min`.
 */
export function parseIntAtLeast(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min) {
    throw new UsageError(`${flag} must be an integer of at least ${min}, got "${value}"`);
  }
  return n;
}

/** The controller's ping interval when `--heartbeat-ms` is not given. */
export const DEFAULT_HEARTBEAT_MS = 1000;
/** The controller's liveness deadline when `--dead-after-ms` is not given. */
export const DEFAULT_DEAD_AFTER_MS = 5000;

/** `--heartbeat-ms` of `ipx controller` and `ipx cluster start`: flags, help, default. */
export const HEARTBEAT_OPTION = [
  "--heartbeat-ms <n>",
  "heartbeat interval to engines",
  String(DEFAULT_HEARTBEAT_MS),
] as const;

/** `--dead-after-ms` of `ipx controller` and `ipx cluster start`: flags, help, default. */
export const DEAD_AFTER_OPTION = [
  "--dead-after-ms <n>",
  "declare an engine dead after this much silence (at least twice --heartbeat-ms)",
  String(DEFAULT_DEAD_AFTER_MS),
] as const;

/**
 * Parses `--heartbeat-ms` and `--dead-after-ms` (each an integer of at least 1).
 *
 * @param o The options' texts (absent: the controller's defaults).
 * @returns The values given, as numbers.
 * @throws {UsageError} For a value that is not an integer of at least 1, or a deadline under
 * twice the ping interval.
 */
export function parseLiveness(
  o: { heartbeatMs?: string; deadAfterMs?: string },
): { heartbeatMs?: number; deadAfterMs?: number } {
  const out = {
    ...(o.heartbeatMs !== undefined
      ? { heartbeatMs: parseIntAtLeast("--heartbeat-ms", o.heartbeatMs, 1) }
      : {}),
    ...(o.deadAfterMs !== undefined
      ? { deadAfterMs: parseIntAtLeast("--dead-after-ms", o.deadAfterMs, 1) }
      : {}),
  };
  const heartbeat = out.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const deadAfter = out.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS;
  if (deadAfter < 2 * heartbeat) {
    throw new UsageError(
      `--dead-after-ms (${deadAfter}) must be at least twice --heartbeat-ms (${heartbeat}): ` +
        "an engine answers one ping per beat, so a shorter deadline would declare healthy " +
        "engines dead; raise --dead-after-ms or lower --heartbeat-ms",
    );
  }
  return out;
}
