/**
 * Answers to the questions clients ask the controller (`query` messages): engines, queue
 * status, results by id, the task database, purging and shutdown. One handler per query kind,
 * in a table the compiler checks for completeness.
 *
 * @module
 */

import type { EngineId, EngineInfo, MsgId, Query, TaskResult } from "../protocol/messages.ts";
import type { TaskStore } from "./task_store.ts";

/** One engine's line of `queue_status`. */
export interface EngineQueue {
  /** Direct tasks sent to it and not finished. */
  queue: number;
  /** Tasks it finished. */
  completed: number;
  /** Load-balanced tasks placed on it and not finished. */
  tasks: number;
}

/** What answering queries needs from the controller. */
export interface QueryContext {
  /** Registered engines, ascending. */
  engineInfos(): EngineInfo[];
  /** Per-engine queue lines, keyed by id. */
  engineQueues(): Map<EngineId, EngineQueue>;
  /** Load-balanced tasks not placed yet. */
  unassigned(): number;
  /** The task records. */
  store: TaskStore;
  /** Asks engines (and optionally the controller) to stop; returns the engines asked. */
  shutdown(targets: EngineId[] | undefined, controller: boolean): EngineId[];
}

/** The answer to `get_results` for one id. */
export type ResultAnswer =
  | TaskResult
  | { msgId: MsgId; pending: true }
  | { msgId: MsgId; missing: string };

/** The task ids a query names, checked (a peer's message is not trusted to be well formed). */
function idList(ids: unknown, kind: string): MsgId[] {
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
    throw new TypeError(`${kind} needs a list of task ids (strings), got ${describe(ids)}`);
  }
  return ids;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list holding something else";
  return value === null ? "null" : typeof value === "object" ? "an object" : typeof value;
}

type Handlers = {
  [K in Query["kind"]]: (q: Extract<Query, { kind: K }>, ctx: QueryContext) => unknown;
};

const HANDLERS: Handlers = {
  engines: (_q, ctx) => ctx.engineInfos(),
  queue_status: (_q, ctx) => {
    const out: Record<string, unknown> = {};
    for (const [id, line] of ctx.engineQueues()) out[String(id)] = line;
    out.unassigned = ctx.unassigned();
    return out;
  },
  get_results: (q, ctx) =>
    idList(q.msgIds, "get_results").map((msgId): ResultAnswer => {
      const found = ctx.store.lookup(msgId);
      if (found.state === "done") return found.result;
      if (found.state === "pending") return { msgId, pending: true };
      return { msgId, missing: found.why };
    }),
  db_query: (q, ctx) => ctx.store.query(q.filter ?? {}, q.keys),
  history: (_q, ctx) => ctx.store.history(),
  purge: (q, ctx) => {
    if (q.all === true) return ctx.store.purge(undefined);
    return ctx.store.purge(idList(q.msgIds === undefined ? [] : q.msgIds, "purge"));
  },
  shutdown: (q, ctx) => ctx.shutdown(q.targets, q.controller ?? false),
};

/**
 * Answers one query. Throws for a bad query (the caller turns it into an error reply).
 *
 * @param q The query.
 * @param ctx The controller's state.
 * @returns The reply value.
 */
export function answerQuery(q: Query, ctx: QueryContext): unknown {
  const handler = HANDLERS[q.kind] as ((q: Query, ctx: QueryContext) => unknown) | undefined;
  if (!handler) throw new TypeError(`Unknown query kind "${String(q.kind)}"`);
  return handler(q, ctx);
}
