/**
 * The controller's logger seam.
 *
 * @module
 */

/** Log levels. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Receives log lines. */
export type Logger = (level: LogLevel, message: string) => void;

/** A logger that drops everything (tests). */
export const silentLogger: Logger = () => {};
