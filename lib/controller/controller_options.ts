/**
 * Options of the {@linkcode Controller} core.
 *
 * @module
 */

import type { Hwm } from "../protocol/messages.ts";
import type { Clock } from "./clock.ts";
import type { Logger } from "./log.ts";
import type { StateDb } from "./state_db.ts";
import type { TaskStoreLimits } from "./task_store.ts";

/** Options of `Controller`. */
export interface ControllerOptions {
  /** Base64 shared key (from the connection files). */
  key: string;
  /** Interval of heartbeat pings to engines (and of liveness checks). @default 1000 */
  heartbeatMs?: number;
  /**
   * Silence after which an engine is declared dead. A process that ends is reported at once
   * (its connection drops, its supervisor reports the exit); this deadline catches a hung or
   * cut-off engine, and is five beats long so a busy machine does not kill healthy engines.
   * @default 5000
   */
  deadAfterMs?: number;
  /** After a restart, how long engines alive before it have to re-attach. @default 10000 */
  restoreGraceMs?: number;
  /** Default per-engine high-water mark of load-balanced tasks. @default "auto" */
  hwm?: Hwm;
  /** How long a retry blocked by its own exclusions waits for a new engine. @default 3000 */
  replacementWaitMs?: number;
  /** Time source. */
  clock?: Clock;
  /** Log sink. */
  log?: Logger;
  /** Frame size limit for authenticated connections. */
  maxFrameBytes?: number;
  /** Time a started frame has at the least (see `framed_conn.ts`); peers adopt it too. */
  frameTimeoutMs?: number;
  /**
   * Most connections held while they authenticate; past it the oldest is closed (see
   * `auth_gate.ts`). @default 128
   */
  maxPendingAuth?: number;
  /** Task record bounds. */
  storeLimits?: TaskStoreLimits;
  /** State database: a path, an open database, or in memory when omitted. */
  db?: string | StateDb;
}
