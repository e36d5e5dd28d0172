/**
 * What the controller does with each message from a connected client: `submit` records each
 * task and sends it to its engine or to the load balancer (a task lost before it ran, or one
 * the controller could not retry after a restart, may be submitted again under its id; any
 * other known id is refused), `interrupt` and `abort` reach the engines holding the tasks
 * (abort also settles tasks on no engine), `query` is answered (see `client_queries.ts`),
 * `resume` follows tasks of an earlier connection or of another client, `engine_exited` is a
 * supervisor's report, `ping` is answered with a `pong`.
 *
 * @module
 */

import type { Channel } from "../protocol/channel.ts";
import type { ErrorData } from "../protocol/errors.ts";
import type {
  ClientToController,
  ControllerToClient,
  EngineId,
  MsgId,
  SubmitTask,
} from "../protocol/messages.ts";
import type { Clock } from "./clock.ts";
import { type EngineEntry, sendToEngine } from "./engine_entry.ts";
import type { EngineRegistry } from "./engine_registry.ts";
import type { LoadBalancer } from "./load_balancer.ts";
import { describe, errName } from "./describe_error.ts";
import { ENGINE_ERROR, failedResult, idInUse, TASK_LOST } from "./task_errors.ts";
import type { TaskStore } from "./task_store.ts";

/** The controller's channel to a client. */
export type ClientChannel = Channel<ControllerToClient, ClientToController>;

/** What the handlers need from the controller. */
export interface ClientMessageDeps {
  /** Task records. */
  store: TaskStore;
  /** The engines. */
  engines: EngineRegistry;
  /** The load balancer. */
  lb: LoadBalancer;
  /** Time. */
  clock: Clock;
  /** Sends a task to an engine; false if the engine is not registered. */
  dispatch(engineId: EngineId, msgId: MsgId, task: SubmitTask): boolean;
  /** Fails a task (as if `engineId`, when given, had reported the error). */
  fail(msgId: MsgId, error: ErrorData, engineId: EngineId | null): void;
  /** Answers a query (throws to fail it). */
  query(q: Extract<ClientToController, { type: "query" }>["query"]): unknown;
  /** Sends a message to a connected client. */
  toClient(clientId: number, msg: ControllerToClient): void;
}

/** One handler per client message type. */
export type ClientMessageHandlers = {
  [K in ClientToController["type"]]: (m: Extract<ClientToController, { type: K }>) => void;
};

/**
 * Builds the handler table of one client connection.
 *
 * @param d Controller state and callbacks.
 * @param clientId The client's id.
 * @param channel Its connection (replies go there).
 * @returns The handlers, by message type.
 */
export function clientMessageHandlers(
  d: ClientMessageDeps,
  clientId: number,
  channel: ClientChannel,
): ClientMessageHandlers {
  return {
    submit: (m) => {
      for (const task of m.tasks) submit(d, clientId, task);
    },
    interrupt: (m) => stopTasks(d, m.msgIds, "interrupt"),
    abort: (m) => abort(d, m.msgIds),
    query: (m) => {
      let reply: ControllerToClient;
      try {
        reply = { type: "reply", reqId: m.reqId, ok: true, value: d.query(m.query) };
      } catch (error) {
        reply = {
          type: "reply",
          reqId: m.reqId,
          ok: false,
          error: { ename: errName(error), evalue: describe(error), stack: "" },
        };
      }
      channel.send(reply);
    },
    resume: (m) => {
      // follow tasks submitted by an earlier connection, or by another client
      for (const msgId of m.msgIds) {
        const rec = d.store.get(msgId);
        if (!rec || rec.clientId === clientId || rec.watchers?.includes(clientId)) continue;
        (rec.watchers ??= []).push(clientId);
      }
    },
    engine_exited: (m) => d.engines.exited(m),
    ping: (m) => channel.send({ type: "pong", t: m.t }),
  };
}

function submit(d: ClientMessageDeps, clientId: number, task: SubmitTask): void {
  // a task lost before it ran, or one the controller could not retry after a restart, may be
  // submitted again under its id
  const known = d.store.has(task.msgId) ? d.store.lookup(task.msgId) : undefined;
  const lostError = known?.state === "done" ? known.result.error : undefined;
  const resubmit = lostError?.ename === TASK_LOST || lostError?.retriable === true;
  if (known && !resubmit) {
    const result = failedResult(task.msgId, idInUse(task.msgId), -1, {
      submitted: 0,
      started: 0,
      completed: d.clock.now(),
    });
    return d.toClient(clientId, { type: "result", ...result });
  }
  d.store.add({
    msgId: task.msgId,
    engineId: task.engineId ?? null,
    clientId,
    kind: task.op.kind,
    lb: task.engineId === undefined,
    status: "queued",
    ename: null,
    label: task.label ?? "",
    submitted: d.clock.now(),
    started: null,
    completed: null,
    result: null,
    bytes: 0,
  }, resubmit);
  if (task.engineId === undefined) {
    d.lb.submit(task);
    return;
  }
  if (!d.dispatch(task.engineId, task.msgId, task)) {
    d.fail(task.msgId, {
      ename: ENGINE_ERROR,
      evalue: `engine ${task.engineId} is not registered (it died or never existed); ` +
        `live engines: ${d.engines.ids.join(",") || "none"}`,
      stack: "",
      engineId: task.engineId,
    }, task.engineId);
  }
}

/** Sends `interrupt` or `abort` for tasks on engines; returns tasks on no engine. */
function stopTasks(d: ClientMessageDeps, msgIds: MsgId[], kind: "interrupt" | "abort"): MsgId[] {
  const byEngine = new Map<EngineEntry, MsgId[]>();
  const nowhere: MsgId[] = [];
  for (const msgId of msgIds) {
    const rec = d.store.get(msgId);
    if (!rec) continue;
    const entry = rec.engineId === null ? undefined : d.engines.get(rec.engineId);
    if (!entry || !entry.running.has(msgId)) {
      nowhere.push(msgId);
      continue;
    }
    const list = byEngine.get(entry);
    if (list) list.push(msgId);
    else byEngine.set(entry, [msgId]);
  }
  for (const [entry, ids] of byEngine) sendToEngine(entry, { type: kind, msgIds: ids });
  return nowhere;
}

function abort(d: ClientMessageDeps, msgIds: MsgId[]): void {
  const aborted = (msgId: MsgId, when: string): ErrorData => ({
    ename: "TaskAborted",
    evalue: `task ${msgId} was aborted ${when}`,
    stack: "",
  });
  for (const msgId of d.lb.abort(msgIds)) {
    d.fail(msgId, aborted(msgId, "before it started"), null);
  }
  // still unfinished but on no engine (nothing else will settle it): settle it now
  for (const msgId of stopTasks(d, msgIds, "abort")) {
    d.fail(msgId, aborted(msgId, "before it started"), null);
  }
}
