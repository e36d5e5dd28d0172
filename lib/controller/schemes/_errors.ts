/**
 * Errors thrown by the load-balancing scheduler. `../scheduler.ts` re-exports them.
 *
 * @module
 */

import { IpxError } from "../../protocol/errors.ts";

/** An engine id was added to a scheduler twice. */
export class DuplicateEngineError extends IpxError {
  /** The engine id that was already known. */
  readonly engineId: number;
  /** @param engineId The engine id that was already known. */
  constructor(engineId: number) {
    super(`Cannot add engine to scheduler: engine ${engineId} is already registered`);
    this.engineId = engineId;
  }
}

/** A scheme name is not one of the supported load-balancing schemes. */
export class UnknownSchemeError extends IpxError {
  /** The rejected name. */
  readonly scheme: string;
  /**
   * @param scheme The rejected name.
   * @param known The supported names, listed in the message.
   */
  constructor(scheme: string, known: readonly string[]) {
    super(
      `Cannot select scheduler scheme: current value is ${JSON.stringify(scheme)}, ` +
        `expected one of ${known.join(", ")}`,
    );
    this.scheme = scheme;
  }
}
