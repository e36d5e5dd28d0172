/**
 * Errors a client sees: failures of remote code rebuilt from data, and aggregates.
 *
 * @module
 */

import { type ErrorData, IpxError } from "../protocol/errors.ts";

/** ipx's own stack frames, trimmed from remote traces shown to users. */
const OWN_FRAME = /\/lib\/(engine|protocol|client|controller)\/|ext:|node:inspector/;

/**
 * Removes ipx's own frames from a remote stack, keeping the user's.
 *
 * @param stack A remote stack trace.
 */
export function trimStack(stack: string): string {
  return stack.split("\n").filter((line) => !(/^\s+at /.test(line) && OWN_FRAME.test(line)))
    .join("\n");
}

/** Task failures the client itself reports (the task never left it, or its link is gone). */
const CLIENT_SIDE = new Set(["MessageTooLarge", "ConnectionError"]);

/** User code failed on an engine. */
export class RemoteError extends IpxError {
  /** Remote error class name, e.g. `TypeError`. */
  readonly ename: string;
  /** Remote error message. */
  readonly evalue: string;
  /** Remote stack trace (ipx frames trimmed). */
  readonly remoteStack: string;
  /** Engine it happened on (-1 when it never reached one). */
  readonly engineId: number;
  /** The task id. */
  readonly msgId: string;

  /**
   * @param data The error as it crossed the wire.
   * @param msgId The task it belongs to.
   */
  constructor(data: ErrorData, msgId: string) {
    const engine = data.engineId !== undefined && data.engineId >= 0 ? data.engineId : undefined;
    const where = CLIENT_SIDE.has(data.ename)
      ? `this client${engine === undefined ? "" : ` (task for engine ${engine})`}`
      : engine !== undefined
      ? `engine ${engine}`
      : "the controller";
    super(`${data.ename} on ${where}: ${data.evalue}`);
    this.ename = data.ename;
    this.evalue = data.evalue;
    this.remoteStack = trimStack(data.stack);
    this.engineId = data.engineId ?? -1;
    this.msgId = msgId;
  }

  /**
   * Rebuilds the most specific error class for an ename.
   *
   * @param data The error as it crossed the wire.
   * @param msgId The task it belongs to.
   */
  static from(data: ErrorData, msgId: string): RemoteError {
    switch (data.ename) {
      case "EngineError":
        return new EngineError(data, msgId);
      case "TaskTimeout":
        return new TaskTimeout(data, msgId);
      case "TaskAborted":
        return new TaskAborted(data, msgId);
      case "TaskLost":
        return new TaskLost(data, msgId);
      case "ImpossibleDependency":
        return new ImpossibleDependency(data, msgId);
      case "InvalidDependency":
        return new InvalidDependency(data, msgId);
      default:
        return new RemoteError(data, msgId);
    }
  }
}

/** The engine running a task died or was unreachable. */
export class EngineError extends RemoteError {}
/** A task ran past its timeout and was stopped. */
export class TaskTimeout extends RemoteError {}
/** A task was aborted before or while running. */
export class TaskAborted extends RemoteError {}
/**
 * The controller lost a task: it restarted while the task waited for an engine, or the
 * connection dropped before the task reached it. Submit it again.
 */
export class TaskLost extends RemoteError {}
/** A task's dependencies can never be met (a dependency failed, or its engines are gone). */
export class ImpossibleDependency extends RemoteError {}
/** A task names dependencies the controller does not know. */
export class InvalidDependency extends RemoteError {}

/** Several tasks of one request failed; holds every failure. */
export class CompositeError extends IpxError {
  /** Each failure, in target order. */
  readonly errors: RemoteError[];
  /**
   * @param errors The failures.
   * @param total How many tasks the request had.
   */
  constructor(errors: RemoteError[], total: number) {
    // a task that never reached an engine (too large, refused before placing) has engine -1
    const where = (id: number) => id < 0 ? "no engine" : String(id);
    const engines = errors.map((e) => where(e.engineId)).join(",");
    const lines = errors.slice(0, 8).map((e) => `  [${where(e.engineId)}] ${e.ename}: ${e.evalue}`);
    if (errors.length > 8) lines.push(`  … and ${errors.length - 8} more`);
    super(
      `${errors.length} of ${total} tasks failed (engines ${engines}):\n${lines.join("\n")}`,
    );
    this.errors = errors;
  }
}
