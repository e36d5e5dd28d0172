/**
 * What the controller holds for one registered engine. An engine is registered from its
 * `register` message until it is declared dead; in between its connection may drop for a
 * while (`channel` is null): messages for it wait in `outbox` until it re-attaches with its
 * id and uuid, or it is declared dead when its liveness deadline passes.
 *
 * @module
 */

import type { Channel } from "../protocol/channel.ts";
import type {
  ControllerToEngine,
  EngineInfo,
  EngineToController,
  MsgId,
} from "../protocol/messages.ts";

/** The controller's channel to an engine. */
export type EngineChannel = Channel<ControllerToEngine, EngineToController>;

/** A registered engine. */
export interface EngineEntry {
  /** Its id. */
  id: number;
  /** Its self-chosen uuid (must match when it re-attaches). */
  uuid: string;
  /** The channel to it; null while disconnected. */
  channel: EngineChannel | null;
  /** Messages for it while disconnected, sent in order when it re-attaches. */
  outbox: ControllerToEngine[];
  /** Public description. */
  info: EngineInfo;
  /** Tasks sent to it and not finished, in send order. */
  running: Set<MsgId>;
  /** Tasks it finished. */
  completed: number;
  /** Load-balanced tasks it holds (counted against the scheduler's hwm). */
  lbHeld: Set<MsgId>;
  /** Restored from the database after a controller restart and not yet re-attached. */
  restored: boolean;
  /** How its process ended, when its supervisor reported it. */
  exitReason: string | undefined;
  /** Cancels the wait for its connection to close after an exit report. */
  exitTimer: (() => void) | undefined;
  /** Its channel's `bytesRead` at the last liveness check (bytes arriving are a beat). */
  bytesSeen: number;
}

/**
 * Sends a message to an engine, or keeps it for when the engine re-attaches.
 *
 * @param entry The engine.
 * @param msg The message.
 */
export function sendToEngine(entry: EngineEntry, msg: ControllerToEngine): void {
  if (entry.channel && !entry.channel.isClosed) entry.channel.send(msg);
  else entry.outbox.push(msg);
}
