/**
 * The types of a client session's interface (`session.ts`): how it connects, what it submits, what
 * the controller answers about tasks, and engine membership events.
 *
 * @module
 */

import type { EngineId, EngineInfo, MsgId, SubmitTask, TaskResult } from "../protocol/messages.ts";
import type { ByteConn } from "../protocol/transport.ts";

/** Options of a `Session`. */
export interface SessionOptions {
  /** Opens a byte stream to the controller. */
  connect: () => Promise<ByteConn>;
  /** Base64 key. */
  key: string;
  /** Where the key came from, for messages. */
  keySource: string;
  /** Handshake bound. @default 10000 */
  timeoutMs?: number;
  /** How long to keep trying to reconnect after the link drops. @default 30000 */
  reconnectForMs?: number;
}

/** A task to submit (msgId assigned by the session). */
export type TaskSpec = Omit<SubmitTask, "msgId">;

/** What the controller knows of one task asked for by id. */
export type ResultAnswer =
  | TaskResult
  | { msgId: MsgId; pending: true }
  | { msgId: MsgId; missing: string };

/** Engine membership events. */
export type EngineEvent =
  /**
   * An engine registered; `reattached`: one this client knew came back after a controller
   * restart (same id, same namespace).
   */
  | { type: "registered"; engine: EngineInfo; reattached?: true }
  /**
   * An engine left or died (also one that did so while this client's link to the controller
   * was down, told when it reconnects).
   */
  | { type: "unregistered"; engineId: EngineId; reason: string };
