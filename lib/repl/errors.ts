/**
 * Errors of the REPL: a magic, option or target spec was used wrongly. They are shown as
 * `UsageError: <message>` and the cell counts as failed; the REPL keeps running.
 *
 * @module
 */

import { IpxError } from "../protocol/errors.ts";

/** A magic was called wrongly (unknown magic or option, missing value, nothing to show). */
export class MagicUsageError extends IpxError {
  /**
   * @param message What was wrong and what to type instead.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** A `--targets` spec does not parse or names engines that are not registered. */
export class TargetSpecError extends MagicUsageError {}

/** The REPL's local namespace could not be set up (the V8 inspector is not reachable). */
export class LocalNamespaceError extends IpxError {}
