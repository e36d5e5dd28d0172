/**
 * What the controller does with each message from a registered engine (all but `register`,
 * which the connection handles): task progress and output go to the clients following the
 * task, results finish it (or send it to another engine when it may retry), `unregister`
 * removes the engine at once.
 *
 * Only the engine currently holding a task may report on it: messages about tasks an engine
 * does not hold (late results from an engine that was declared dead, whose tasks already
 * failed or ran elsewhere) are dropped, so no task finishes twice.
 *
 * @module
 */

import type { ControllerToClient, EngineToController, TaskResult } from "../protocol/messages.ts";
import type { EngineEntry } from "./engine_entry.ts";
import type { EngineRegistry } from "./engine_registry.ts";
import type { LoadBalancer } from "./load_balancer.ts";
import type { Logger } from "./log.ts";
import type { TaskRecord, TaskStore } from "./task_store.ts";

/** What the handlers need from the controller. */
export interface EngineMessageDeps {
  /** Task records. */
  store: TaskStore;
  /** The engines. */
  engines: EngineRegistry;
  /** The load balancer (for retries). */
  lb: LoadBalancer;
  /** Log sink. */
  log: Logger;
  /** Sends news of a task to the clients following it. */
  notify(rec: TaskRecord, msg: ControllerToClient): void;
  /** Finishes a task. */
  complete(result: TaskResult): void;
}

type Handled = Exclude<EngineToController["type"], "register">;

/** One handler per engine message type (the entry is undefined for stale connections). */
export type EngineMessageHandlers = {
  [K in Handled]: (m: Extract<EngineToController, { type: K }>, e: EngineEntry | undefined) => void;
};

/**
 * Builds the handler table.
 *
 * @param d Controller state and callbacks.
 * @returns The handlers, by message type.
 */
export function engineMessageHandlers(d: EngineMessageDeps): EngineMessageHandlers {
  return {
    started: (m, e) => {
      const rec = d.store.get(m.msgId);
      if (!e || !rec || !e.running.has(m.msgId)) return;
      rec.started = m.started;
      rec.status = "running";
      if (e.lbHeld.has(m.msgId)) d.lb.taskRunning(e.id, m.msgId);
      d.store.touch(rec);
      d.notify(rec, {
        type: "started",
        msgId: m.msgId,
        engineId: e.id,
        started: m.started,
      });
    },
    stream: (m, e) => {
      const rec = d.store.get(m.msgId);
      if (!e || !rec || !e.running.has(m.msgId)) return;
      d.notify(rec, { ...m, engineId: e.id });
    },
    result: (m, e) => {
      // only the engine holding a task may finish it: late results from an engine that was
      // declared dead (its task failed or ran elsewhere) are dropped, so nothing finishes twice
      if (!e || !e.running.delete(m.msgId)) return;
      e.completed++;
      const rec = d.store.get(m.msgId);
      const result: TaskResult = {
        msgId: m.msgId,
        engineId: e.id,
        ok: m.ok,
        executionCount: m.executionCount,
        submitted: rec?.submitted ?? m.started,
        started: m.started,
        completed: m.completed,
        ...(m.value ? { value: m.value } : {}),
        ...(m.error ? { error: { ...m.error, engineId: e.id } } : {}),
      };
      const runMs = typeof m.runMs === "number" ? m.runMs : undefined;
      if (e.lbHeld.delete(m.msgId) && d.lb.taskFinished(e.id, m.msgId, result, runMs)) return;
      d.complete(result);
    },
    interrupted: (m, e) => {
      d.log(
        m.clean ? "info" : "warn",
        `engine ${e?.id} stopped ${m.msgIds.length} task(s)` +
          (m.reset ? "; its namespace was reset" : "") +
          (m.clean ? "" : "; the old code worker did not stop and keeps a CPU busy"),
      );
    },
    unregister: (m, e) => {
      if (e) d.engines.gone(e, `it stopped (${m.reason})`, true);
    },
    pong: () => {},
  };
}
