/**
 * The results an engine sent, remembered for its next re-attach: their ids (reported as
 * `finished` in `register`, so the controller can tell a task that never reached the engine
 * from one whose result was lost on the way) and, while small enough, the result messages
 * themselves, so a result lost when the controller stopped or the link dropped can be sent
 * again (`resend`) instead of the task failing.
 *
 * @module
 */

import { type EngineToController, FINISHED_KEPT, type MsgId } from "../protocol/messages.ts";

/** A result message as the engine sends it. */
export type ResultMsg = Extract<EngineToController, { type: "result" }>;

/** Limits of a {@linkcode SentResults}. */
export interface SentResultsLimits {
  /** Most ids remembered. */
  maxIds: number;
  /** Results with values up to this size are kept whole. */
  maxValueBytes: number;
  /** Most value bytes kept in all (the oldest results give up their values first). */
  maxKeptBytes: number;
}

/** The engine's limits: every id of {@linkcode FINISHED_KEPT}, values up to 1 MiB, 32 MiB in all. */
export const ENGINE_LIMITS: SentResultsLimits = {
  maxIds: FINISHED_KEPT,
  maxValueBytes: 1024 * 1024,
  maxKeptBytes: 32 * 1024 * 1024,
};

/** Sent results, most recent last, within limits. */
export class SentResults {
  #sent = new Map<MsgId, ResultMsg | undefined>();
  #bytes = 0;
  #limits: SentResultsLimits;

  /** @param limits How much to remember. */
  constructor(limits: SentResultsLimits) {
    this.#limits = limits;
  }

  /** Value bytes kept. */
  get keptBytes(): number {
    return this.#bytes;
  }

  /** Ids of the results remembered, oldest first. */
  ids(): MsgId[] {
    return [...this.#sent.keys()];
  }

  /**
   * Remembers a result that went out.
   *
   * @param msg The result message.
   */
  add(msg: ResultMsg): void {
    this.#forget(msg.msgId);
    const size = msg.value?.length ?? 0;
    const keep = size <= this.#limits.maxValueBytes;
    this.#sent.set(msg.msgId, keep ? msg : undefined);
    if (keep) this.#bytes += size;
    for (const [id, kept] of this.#sent) {
      if (this.#sent.size <= this.#limits.maxIds && this.#bytes <= this.#limits.maxKeptBytes) {
        break;
      }
      if (this.#sent.size > this.#limits.maxIds) this.#forget(id);
      else if (kept) {
        this.#bytes -= kept.value?.length ?? 0;
        this.#sent.set(id, undefined); // keeps its place: only the value goes
      }
    }
  }

  /**
   * A remembered result.
   *
   * @param msgId The task.
   * @returns The message; `"dropped"` when only its id was kept; undefined when unknown.
   */
  get(msgId: MsgId): ResultMsg | "dropped" | undefined {
    if (!this.#sent.has(msgId)) return undefined;
    return this.#sent.get(msgId) ?? "dropped";
  }

  /**
   * What to send when the controller asks for a result again: the kept message, or a failure
   * that says why it cannot be sent again.
   *
   * @param msgId The task.
   * @param engineId This engine's id, for the message.
   * @param now Current time (ms).
   */
  resendable(msgId: MsgId, engineId: number | undefined, now: number): ResultMsg {
    const kept = this.get(msgId);
    if (kept !== undefined && kept !== "dropped") return kept;
    const why = kept === "dropped" ? "too big to keep for sending again" : "no longer kept";
    return {
      type: "result",
      msgId,
      ok: false,
      error: {
        ename: "EngineError",
        evalue: `engine ${engineId} finished task ${msgId}, but its result was lost on the way ` +
          `and was ${why}`,
        stack: "",
      },
      executionCount: 0,
      started: now,
      completed: now,
    };
  }

  /** Forgets everything. */
  clear(): void {
    this.#sent.clear();
    this.#bytes = 0;
  }

  #forget(msgId: MsgId): void {
    const kept = this.#sent.get(msgId);
    if (kept) this.#bytes -= kept.value?.length ?? 0;
    this.#sent.delete(msgId);
  }
}
