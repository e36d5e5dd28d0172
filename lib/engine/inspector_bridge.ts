/**
 * The code Worker's way into user code (see `worker.ts`, which alone imports this): a
 * `node:inspector` session that evaluates code (`Runtime.evaluate` with `replMode`, so top-level
 * declarations persist and top-level `await` works) and calls functions on a bridge object.
 * Values cross between user code and the Worker through that bridge: only the inspector can
 * reach it (its objectId is taken once at start-up and no global refers to it).
 *
 * Loaded in the sandboxed Worker: it imports nothing heavy, and its frames are cut from the
 * stacks of user errors like the Worker's own ({@linkcode INSPECTOR_BRIDGE_URL}).
 *
 * @module
 */

import { Session } from "node:inspector";
import type { CallArgument, EvalResult, RemoteObject } from "../evaluate/inspector_types.ts";

/** This module's URL, to cut its frames out of the stacks of user errors. */
export const INSPECTOR_BRIDGE_URL: string = import.meta.url;

/** The object group of the inspector objects an op holds (released after each op). */
const OP_GROUP = "ipx-op";

/** What crosses the bridge: arguments, a value to assign, a value brought back. */
export interface Bridge {
  /** Arguments (unused by the Worker's ops so far). */
  args: unknown[];
  /** A value user code reads (`push`). */
  value: unknown;
  /** A value user code produced, brought into the Worker. */
  result: unknown;
}

/** The inspector session and the bridge object. */
export class InspectorBridge {
  /** The value holder only the inspector can reach. */
  readonly bridge: Bridge = { args: [], value: undefined, result: undefined };
  #session: Session;
  #dispatching = 0;
  #bridgeId: string | undefined;
  #held = false;

  /** Opens the inspector session (connected at once). */
  constructor() {
    this.#session = new Session();
    this.#session.connect();
  }

  /** Whether the inspector is dispatching a command now (user code may run inside it). */
  get dispatching(): boolean {
    return this.#dispatching !== 0;
  }

  /** Whether the current op holds inspector objects (see {@linkcode releaseObjects}). */
  get holdsObjects(): boolean {
    return this.#held;
  }

  /** Disconnects the session. */
  disconnect(): void {
    this.#session.disconnect();
  }

  /**
   * Sends an inspector command.
   *
   * @param method The protocol method.
   * @param params Its parameters.
   * @returns Its result.
   */
  post<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return new Promise((resolve, reject) => {
      this.#dispatching++;
      try {
        this.#session.post(method, params, (error: Error | null, result: unknown) => {
          if (error) reject(error);
          else resolve(result as T);
        });
      } finally {
        this.#dispatching--;
      }
    });
  }

  /** Takes the bridge's objectId: call once, before user code runs. */
  async findBridge(): Promise<void> {
    const key = `ipx.bridge.${crypto.randomUUID()}`;
    Object.defineProperty(globalThis, Symbol.for(key), { value: this.bridge, configurable: true });
    try {
      const found = await this.post<EvalResult>("Runtime.evaluate", {
        expression: `globalThis[Symbol.for(${JSON.stringify(key)})]`,
        objectGroup: "ipx-bridge",
      });
      if (!found.result.objectId) throw new Error("Cannot reach the executor bridge");
      this.#bridgeId = found.result.objectId;
    } finally {
      delete (globalThis as Record<symbol, unknown>)[Symbol.for(key)];
    }
  }

  /**
   * Calls a function with the bridge as `this`, in the namespace.
   *
   * @param declaration The function's source.
   * @param args Its arguments.
   * @returns The inspector's answer.
   */
  async callOnBridge(declaration: string, args: CallArgument[] = []): Promise<EvalResult> {
    const outcome = await this.post<EvalResult>("Runtime.callFunctionOn", {
      objectId: this.#bridgeId,
      functionDeclaration: declaration,
      arguments: args,
      awaitPromise: true,
      objectGroup: OP_GROUP,
    });
    // the object group holds what the call returned or threw, if that is an object
    if (outcome.result?.objectId !== undefined || outcome.exceptionDetails) this.#held = true;
    return outcome;
  }

  /**
   * Brings a value that user code produced into this Worker.
   *
   * @param remote The inspector's handle or value.
   * @returns The value.
   */
  async localize(remote: RemoteObject): Promise<unknown> {
    if (remote.objectId === undefined) return primitive(remote);
    this.#held = true;
    await this.callOnBridge("function (v) { this.result = v; }", [asArgument(remote)]);
    return this.takeResult();
  }

  /**
   * What a call on the bridge left in `this.result`, which is cleared (the bridge keeps no
   * value of user code between calls).
   *
   * @returns The value.
   */
  takeResult(): unknown {
    const value = this.bridge.result;
    this.bridge.result = undefined;
    return value;
  }

  /**
   * Unwraps an inspector result: the value, or the thrown value rethrown here.
   *
   * @param outcome The inspector's answer.
   * @returns The value.
   */
  async settle(outcome: EvalResult): Promise<unknown> {
    if (outcome.exceptionDetails) {
      const exception = outcome.exceptionDetails.exception;
      throw exception ? await this.localize(exception) : new Error(outcome.exceptionDetails.text);
    }
    return await this.localize(outcome.result);
  }

  /**
   * Evaluates code in the namespace (REPL mode, awaiting a returned promise).
   *
   * @param expression The code.
   * @returns The inspector's answer.
   */
  evaluate(expression: string): Promise<EvalResult> {
    return this.post<EvalResult>("Runtime.evaluate", {
      expression,
      replMode: true,
      awaitPromise: true,
      objectGroup: OP_GROUP,
    });
  }

  /** Releases the inspector objects the current op holds. */
  async releaseObjects(): Promise<void> {
    this.#held = false;
    await this.post("Runtime.releaseObjectGroup", { objectGroup: OP_GROUP }).catch(() => {});
  }
}

function asArgument(remote: RemoteObject): CallArgument {
  if (remote.objectId !== undefined) return { objectId: remote.objectId };
  if (remote.unserializableValue !== undefined) {
    return { unserializableValue: remote.unserializableValue };
  }
  return remote.type === "undefined" ? {} : { value: remote.value };
}

function primitive(remote: RemoteObject): unknown {
  const text = remote.unserializableValue;
  if (text === undefined) return remote.type === "undefined" ? undefined : remote.value;
  if (text.endsWith("n")) return BigInt(text.slice(0, -1));
  return text === "-0" ? -0 : Number(text); // NaN, Infinity, -Infinity
}
