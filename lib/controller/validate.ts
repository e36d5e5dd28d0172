/**
 * Shape checks of what authenticated peers send, before anything is stored or routed. An
 * authenticated peer can still be buggy (or a fuzzer): a malformed message must never reach the
 * task store or crash the controller. A client's malformed task or query is refused by id with
 * the reason (see {@linkcode screenClientMessage}); anything else malformed closes that one
 * connection with a clear reason.
 *
 * @module
 */

import { ProtocolError } from "../protocol/errors.ts";
import type { SubmitTask } from "../protocol/messages.ts";

const OP_KINDS = new Set(["execute", "apply", "push", "pull", "clear", "names"]);
const MAX_ID_LENGTH = 256;

function fail(what: string): never {
  throw new ProtocolError(`Malformed message: ${what}`);
}

/** A task id the controller can index by: a string of 1 to {@linkcode MAX_ID_LENGTH} characters. */
function isMsgId(v: unknown): v is string {
  return typeof v === "string" && v.length > 0 && v.length <= MAX_ID_LENGTH;
}

function isIdList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string" && x.length <= MAX_ID_LENGTH);
}

function isEngineId(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Checks one submitted task; throws {@linkcode ProtocolError} naming the bad field.
 *
 * @param t The task as received.
 */
export function validateTask(t: unknown): asserts t is SubmitTask {
  if (t === null || typeof t !== "object") fail("a task is not an object");
  const task = t as Record<string, unknown>;
  if (!isMsgId(task.msgId)) {
    fail(`a task's msgId is not a string of 1 to ${MAX_ID_LENGTH} characters`);
  }
  if (task.engineId !== undefined && !isEngineId(task.engineId)) {
    fail("a task's engineId is not an id");
  }
  if (task.label !== undefined && typeof task.label !== "string") {
    fail("a task's label is not a string");
  }
  const op = task.op as Record<string, unknown> | null;
  if (
    op === null || typeof op !== "object" || typeof op.kind !== "string" || !OP_KINDS.has(op.kind)
  ) {
    fail("a task's op has no known kind");
  }
  switch (op.kind) {
    case "execute":
      if (typeof op.code !== "string") fail("an execute op has no code string");
      break;
    case "apply":
      if (typeof op.fn !== "string" || !(op.args instanceof Uint8Array)) {
        fail("an apply op needs fn and encoded args");
      }
      break;
    case "push":
      if (!(op.ns instanceof Uint8Array)) fail("a push op needs an encoded namespace");
      break;
    case "pull":
      if (!isIdList(op.names)) fail("a pull op needs a list of names");
      break;
  }
  if (task.lb !== undefined) {
    const lb = task.lb as Record<string, unknown> | null;
    if (lb === null || typeof lb !== "object") fail("a task's lb options are not an object");
    for (const k of ["retries", "timeoutMs", "hwm"] as const) {
      const v = lb[k];
      if (k === "hwm" && v === "auto") continue;
      if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < 0)) {
        fail(`a task's lb.${k} is not a non-negative number`);
      }
    }
    if (lb.scheme !== undefined && typeof lb.scheme !== "string") {
      fail("a task's lb.scheme is not a string");
    }
    for (const k of ["after", "follow"] as const) {
      if (lb[k] !== undefined && !isIdList(lb[k])) fail(`a task's lb.${k} is not a list of ids`);
    }
    if (lb.targets !== undefined && !(Array.isArray(lb.targets) && lb.targets.every(isEngineId))) {
      fail("a task's lb.targets is not a list of engine ids");
    }
  }
}

/**
 * Checks a client message's fields that the controller stores or indexes by.
 *
 * @param msg The message as received (its `type` is a string).
 */
export function validateClientMessage(msg: { type: string } & Record<string, unknown>): void {
  switch (msg.type) {
    case "submit":
      if (!Array.isArray(msg.tasks)) fail("submit without a task list");
      for (const t of msg.tasks) validateTask(t);
      return;
    case "interrupt":
    case "abort":
    case "resume":
      if (!isIdList(msg.msgIds)) fail(`${msg.type} without a list of task ids`);
      return;
    case "query":
      if (typeof msg.reqId !== "number" || msg.query === null || typeof msg.query !== "object") {
        fail("query without reqId and query");
      }
      return;
  }
}

/** A malformed task of a submit, refused by id (its result says why; nothing ran). */
export interface RefusedTask {
  /** The task's id, as the client sent it. */
  msgId: string;
  /** What is wrong with it. */
  reason: string;
}

/** A client message after {@linkcode screenClientMessage}. */
export interface Screened {
  /** What to handle: the message, or a submit of only its well-formed tasks; none if nothing. */
  handle: ({ type: string } & Record<string, unknown>) | undefined;
  /** A submit's malformed tasks that carry a usable id. */
  refusedTasks: RefusedTask[];
  /** A malformed query whose `reqId` can still be answered. */
  refusedQuery?: { reqId: number; reason: string };
}

/**
 * What was refused, for the controller's log: the client's task id is quoted (as JSON), so that
 * an id with a newline in it cannot forge lines of the log.
 *
 * @param screened A screened message with something refused.
 * @returns E.g. `2 malformed task(s) (first: "t1": a task's op is …)`.
 */
export function describeRefusal(screened: Screened): string {
  const first = screened.refusedTasks[0];
  if (first) {
    const n = screened.refusedTasks.length;
    return `${n} malformed task(s) (first: ${JSON.stringify(first.msgId)}: ${first.reason})`;
  }
  return `a malformed query (${screened.refusedQuery?.reason ?? "no reason given"})`;
}

/**
 * Screens a client message so that a malformed part is refused by name while the connection
 * stays up: a submit's bad tasks are answered one by one (its good tasks go on), a bad query
 * whose `reqId` is usable gets an error reply. Closing the connection would not help that
 * client: it reconnects and submits its tasks again, and the same refusal would repeat until
 * its reconnect window ends. Whatever cannot be answered by id (a task without a usable
 * `msgId`, a stop without a list of ids, an unusable `reqId`) still throws
 * {@linkcode ProtocolError}, closing that connection.
 *
 * @param msg The message as received (its `type` is a string).
 * @returns What to handle and what to refuse.
 */
export function screenClientMessage(msg: { type: string } & Record<string, unknown>): Screened {
  if (msg.type === "submit" && Array.isArray(msg.tasks)) {
    const good: unknown[] = [];
    const refusedTasks: RefusedTask[] = [];
    for (const t of msg.tasks) {
      try {
        validateTask(t);
        good.push(t);
      } catch (error) {
        const msgId = (t as { msgId?: unknown } | null)?.msgId;
        if (!isMsgId(msgId)) throw error;
        refusedTasks.push({ msgId, reason: (error as Error).message });
      }
    }
    const handle = refusedTasks.length === 0
      ? msg
      : good.length > 0
      ? { ...msg, tasks: good }
      : undefined;
    return { handle, refusedTasks };
  }
  if (msg.type === "query" && Number.isSafeInteger(msg.reqId)) {
    try {
      validateClientMessage(msg);
    } catch (error) {
      return {
        handle: undefined,
        refusedTasks: [],
        refusedQuery: { reqId: msg.reqId as number, reason: (error as Error).message },
      };
    }
    return { handle: msg, refusedTasks: [] };
  }
  validateClientMessage(msg);
  return { handle: msg, refusedTasks: [] };
}

/**
 * Looks a handler up by message type, refusing types that are not own keys of the table
 * (`constructor`, `__proto__`, …).
 *
 * @param table Handlers by type.
 * @param type The received type.
 * @returns The handler.
 */
export function handlerFor<H>(table: Record<string, H>, type: string): H {
  if (!Object.hasOwn(table, type)) {
    fail(`unknown message type ${JSON.stringify(type.slice(0, 40))}`);
  }
  return table[type]!;
}
