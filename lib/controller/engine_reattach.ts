/**
 * Re-attaching an engine: when an engine comes back with its id and uuid (after its connection
 * dropped, or after a controller restart), the tasks it says it holds are reconciled with those
 * the controller thinks it holds. Messages kept for it while it was away are sent; a task it
 * neither holds nor sent a result for never reached it (it did not run: it is lost, and a
 * connected client submits it again); one whose result it sent was lost on the way (the engine
 * is asked to send that result again).
 *
 * @module
 */

import type { EngineToController } from "../protocol/messages.ts";
import type { EngineChannel, EngineEntry } from "./engine_entry.ts";
import type { RegistryHooks } from "./engine_registry_deps.ts";
import { TASK_LOST } from "./task_errors.ts";

type Register = Extract<EngineToController, { type: "register" }>;

/**
 * Reconciles the tasks of an engine that re-attached (its entry already has the new channel):
 * flushes its outbox, asks for results lost on the way, and reports tasks it never received.
 *
 * @param entry The engine.
 * @param channel Its new connection.
 * @param m Its `register` message (what it holds and what it finished).
 * @param restored Whether it comes back after a controller restart (else its connection dropped).
 * @param hooks The registry's hooks (`log`, and `lost` for tasks it never received).
 */
export function reconcileReattached(
  entry: EngineEntry,
  channel: EngineChannel,
  m: Register,
  restored: boolean,
  hooks: Pick<RegistryHooks, "log" | "lost">,
): void {
  const why = restored ? "after the controller restart" : "after its connection dropped";
  // tasks it should hold but does not know were lost on the way
  const held = new Set(m.running ?? []);
  for (const msg of entry.outbox) if (msg.type === "run") held.add(msg.msgId);
  for (const msg of entry.outbox.splice(0)) channel.send(msg);
  const lost = [...entry.running].filter((id) => !held.has(id));
  // a task it neither holds nor sent a result for never reached it: it did not run; one whose
  // result it sent was lost on the way: the engine sends that result again
  const finished = new Set(Array.isArray(m.finished) ? m.finished : []);
  const how = restored ? "the controller stopped" : "its connection dropped";
  const resend = lost.filter((id) => finished.has(id));
  const never = lost.length - resend.length;
  hooks.log(
    "info",
    `engine ${entry.id} re-attached ${why} (holding ${held.size} task(s)` +
      (resend.length ? `; ${resend.length} result(s) lost on the way, asked again` : "") +
      (never ? `; ${never} task(s) it never received, submitted again` : "") + ")",
  );
  if (resend.length) channel.send({ type: "resend", msgIds: resend });
  for (const msgId of lost) {
    if (finished.has(msgId)) continue; // still held: its result comes again
    hooks.lost(entry, msgId, {
      ename: TASK_LOST,
      evalue: `engine ${entry.id} never received task ${msgId} (${how} while the task ` +
        `was being sent), so it did not run; a connected client submits it again`,
      stack: "",
      engineId: entry.id,
    });
  }
}
