/**
 * {@linkcode RemoteRepr}: what `execute` gives back when the last value of the code cannot
 * travel (a function, a class instance, a Map holding a function…): the code ran and its
 * effects stand, so the task succeeds, and its value arrives as the text the engine's
 * `Deno.inspect` printed, as a REPL would show it.
 *
 * @module
 */

/** The inspected text of a value that could not be sent, with its type's name. */
export class RemoteRepr {
  /** The value's type: its constructor's name (`Function`, `Point`, `Map`…) or `typeof` (`symbol`). */
  readonly type: string;
  /** `Deno.inspect` of the value on its engine, e.g. `[Function: helper]`. */
  readonly text: string;

  /**
   * @param type The value's type name.
   * @param text Its inspected text.
   */
  constructor(type: string, text: string) {
    this.type = type;
    this.text = text;
  }

  /** The inspected text. */
  toString(): string {
    return this.text;
  }

  /** Shown by `Deno.inspect` and `console.log` as the engine printed it. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.text;
  }

  /** Shown by `node:util`'s `inspect` as the engine printed it. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.text;
  }
}
