/**
 * One-line descriptions of caught values, for logs and error replies.
 *
 * @module
 */

/**
 * The message of an error, or the value as text.
 *
 * @param error Anything thrown.
 */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The class name of an error (`Error` for non-errors).
 *
 * @param error Anything thrown.
 */
export function errName(error: unknown): string {
  return error instanceof Error ? error.name : "Error";
}
