/**
 * The one-line notices the REPL prints when engines come and go while it runs, so the user
 * learns of a dead engine when it dies, not at the next `%px`:
 *
 * ```text
 * [engine 1 died: its process exited with code 137; engines left: 0]
 * [engine 0 left: it stopped (shutdown requested by a client); no engines left]
 * [engine 2 registered; engines: 0,2]
 * [engine 3 is gone: it died or left while this client's link to the controller was down; engines left: 0,2]
 * ```
 *
 * @module
 */

import { GONE_WHILE_DOWN } from "../client/engine_roster.ts";
import type { EngineEvent } from "../client/session.ts";

/** Reasons of an engine that stopped on purpose start so (see the controller's registry). */
const PLANNED = /^it stopped \(/;

/**
 * The notice for an engine event.
 *
 * @param event The event.
 * @param ids The engines registered after it.
 * @returns One line ending in a newline, or "" when there is nothing to tell (an engine back
 *   after a controller restart).
 *
 * @example Usage
 * ```ts
 * import { formatEngineNotice } from "./engine_notices.ts";
 * formatEngineNotice({ type: "unregistered", engineId: 1, reason: "no heartbeat" }, [0]);
 * // "[engine 1 died: no heartbeat; engines left: 0]\n"
 * ```
 */
export function formatEngineNotice(event: EngineEvent, ids: readonly number[]): string {
  if (event.type === "registered") {
    // an engine back after a controller restart is the one the user had (same id, namespace);
    // the ones back before this client reconnected are not announced either
    if (event.reattached) return "";
    return `[engine ${event.engine.id} registered; engines: ${ids.join(",")}]\n`;
  }
  const how = PLANNED.test(event.reason)
    ? "left"
    : event.reason === GONE_WHILE_DOWN
    ? "is gone"
    : "died";
  const rest = ids.length === 0 ? "no engines left" : `engines left: ${ids.join(",")}`;
  return `[engine ${event.engineId} ${how}: ${event.reason}; ${rest}]\n`;
}
