/**
 * {@linkcode EngineRoster}: the engines a client knows of, kept from the controller's messages,
 * and the membership events they mean to the client's listeners — including changes the client
 * missed while its link to the controller was down. Pure: no I/O, no timers.
 *
 * - The first engine list (a new connection) is the starting point: no events.
 * - A later list (after a reconnect) is compared with what the client knew: an engine that is
 *   new is announced as registered; one that is gone, and that the controller does not expect
 *   back (it is not among the engines restored after a controller restart, still to re-attach),
 *   as unregistered — it died or left while the link was down.
 * - An engine the client knew that comes back after a controller restart is announced as
 *   registered with `reattached: true` (same id, same namespace); one that never comes back is
 *   announced as unregistered when the controller gives up on it.
 * - The controller's word that an engine the client never knew is gone is not news: no event.
 *
 * @module
 */

import type { EngineId, EngineInfo } from "../protocol/messages.ts";
import type { EngineEvent } from "./session_types.ts";

/** Why an engine the client knew is missing from the list it got on reconnecting. */
export const GONE_WHILE_DOWN =
  "it died or left while this client's link to the controller was down";

/** The engines a client knows of. */
export class EngineRoster {
  #engines = new Map<EngineId, EngineInfo>();
  /** Engines the client knew that the controller restored after a restart, not re-attached yet. */
  #restoring = new Set<EngineId>();
  #listed = false;

  /** Registered engines, ascending by id. */
  get engines(): EngineInfo[] {
    return [...this.#engines.values()].sort((a, b) => a.id - b.id);
  }

  /**
   * The controller's engine list, sent on every (re)connection.
   *
   * @param engines The registered engines.
   * @param restoring Engines restored after a controller restart that have not re-attached.
   * @returns The events it means (none for the first list).
   */
  list(engines: readonly EngineInfo[], restoring: readonly EngineId[] = []): EngineEvent[] {
    const before = this.#engines;
    const knewBefore = new Set([...before.keys(), ...this.#restoring]);
    this.#engines = new Map(engines.map((e) => [e.id, e]));
    const first = !this.#listed;
    this.#listed = true;
    this.#restoring = new Set(restoring.filter((id) => knewBefore.has(id)));
    if (first) return [];
    const events: EngineEvent[] = [];
    for (const id of [...knewBefore].sort((a, b) => a - b)) {
      if (!this.#engines.has(id) && !this.#restoring.has(id)) {
        events.push({ type: "unregistered", engineId: id, reason: GONE_WHILE_DOWN });
      }
    }
    for (const e of this.engines) {
      if (!knewBefore.has(e.id)) events.push({ type: "registered", engine: e });
    }
    return events;
  }

  /**
   * An engine registered (or re-attached after a controller restart).
   *
   * @param engine The engine.
   * @returns The event.
   */
  registered(engine: EngineInfo): EngineEvent[] {
    const reattached = this.#restoring.delete(engine.id);
    this.#engines.set(engine.id, engine);
    return [
      reattached ? { type: "registered", engine, reattached } : { type: "registered", engine },
    ];
  }

  /**
   * An engine left or died.
   *
   * @param engineId The engine.
   * @param reason Why.
   * @returns The event, or none when the client never knew the engine.
   */
  unregistered(engineId: EngineId, reason: string): EngineEvent[] {
    const known = this.#engines.delete(engineId) || this.#restoring.delete(engineId);
    return known ? [{ type: "unregistered", engineId, reason }] : [];
  }
}
