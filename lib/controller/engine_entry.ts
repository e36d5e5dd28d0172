/**
 * What the controller holds for one connected engine.
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

/** A registered engine. */
export interface EngineEntry {
  /** Its id. */
  id: number;
  /** Its self-chosen uuid. */
  uuid: string;
  /** The channel to it. */
  channel: Channel<ControllerToEngine, EngineToController>;
  /** Public description. */
  info: EngineInfo;
  /** Tasks sent to it and not finished, in send order. */
  running: Set<MsgId>;
  /** Tasks it finished. */
  completed: number;
  /** Load-balanced tasks it holds (counted against the scheduler's hwm). */
  lbHeld: Set<MsgId>;
}
