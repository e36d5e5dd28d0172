/**
 * Log lines for long-running commands: to stderr and to a file in the profile's log dir.
 *
 * @module
 */

import type { LogLevel } from "../lib/controller/log.ts";

/** A logger writing `time level message` lines to stderr and a log file. */
export interface FileLogger {
  /** Logs one line. */
  (level: LogLevel, message: string): void;
  /** Closes the file. */
  close(): void;
}

/**
 * Opens a logger.
 *
 * @param path Log file (appended).
 * @param options Minimum level shown on stderr.
 */
export function openLog(path: string | undefined, options: { quiet?: boolean } = {}): FileLogger {
  const file = path ? Deno.openSync(path, { create: true, append: true, mode: 0o600 }) : undefined;
  const enc = new TextEncoder();
  const log = ((level: LogLevel, message: string) => {
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`;
    if (!(options.quiet && (level === "debug" || level === "info"))) {
      Deno.stderr.writeSync(enc.encode(line));
    }
    try {
      file?.writeSync(enc.encode(line));
    } catch {
      // log file unwritable: stderr still has it
    }
  }) as FileLogger;
  log.close = () => file?.close();
  return log;
}
