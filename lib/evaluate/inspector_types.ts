/**
 * The shapes of the V8 inspector protocol (`node:inspector`) that ipx's evaluators use: the
 * engines' code Worker and the REPL's local namespace both evaluate with `Runtime.evaluate`
 * in REPL mode and call functions on remote objects.
 *
 * @module
 */

/** A value as the inspector describes it (`Runtime.RemoteObject`). */
export interface RemoteObject {
  /** `object`, `function`, `number`… */
  type: string;
  /** `error`, `null`, `array`… for objects. */
  subtype?: string;
  /** The value, when it was returned by value. */
  value?: unknown;
  /** `NaN`, `-0`, `Infinity`, bigints… that JSON cannot carry. */
  unserializableValue?: string;
  /** Handle of a remote object (in an object group). */
  objectId?: string;
  /** Short text form. */
  description?: string;
}

/** What `Runtime.evaluate` and `Runtime.callFunctionOn` answer. */
export interface EvalResult {
  /** The completion value. */
  result: RemoteObject;
  /** Set when the code threw. */
  exceptionDetails?: { exception?: RemoteObject; text?: string };
}

/** An argument of `Runtime.callFunctionOn`. */
export type CallArgument = { objectId: string } | { unserializableValue: string } | {
  value?: unknown;
};
