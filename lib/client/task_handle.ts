/**
 * The client's record of one submitted task: output as it streams in, and the result.
 *
 * @module
 */

import type { EngineId, MsgId, TaskResult } from "../protocol/messages.ts";

/** One output chunk. */
export interface OutputChunk {
  /** Engine that printed it. */
  engineId: EngineId;
  /** Task it belongs to. */
  msgId: MsgId;
  /** Stream. */
  name: "stdout" | "stderr";
  /** Text. */
  text: string;
}

/** Client-side state of a task. */
export class TaskHandle {
  /** Task id. */
  readonly msgId: MsgId;
  /** Engine it runs on (-1 until a load-balanced task is assigned). */
  engineId: EngineId;
  /**
   * Whether this client only fetched the task (`getResult` of an id it did not submit over
   * this session): its submission time then comes from the controller's record.
   */
  readonly fetched: boolean;
  #submittedAt: number;
  /** Epoch ms it started on the engine, once known. */
  startedAt: number | undefined;
  /** Collected stdout. */
  stdout = "";
  /** Collected stderr. */
  stderr = "";
  /** The result, once known. */
  result: TaskResult | undefined;
  #done = Promise.withResolvers<TaskResult>();
  #listeners = new Set<(chunk: OutputChunk) => void>();

  /**
   * @param msgId Task id.
   * @param engineId Target engine or -1.
   * @param fetched See {@linkcode fetched}.
   */
  constructor(msgId: MsgId, engineId: EngineId, fetched = false) {
    this.msgId = msgId;
    this.engineId = engineId;
    this.fetched = fetched;
    this.#submittedAt = Date.now();
  }

  /**
   * Epoch ms the task was submitted: when this client submitted it, or, for a fetched task,
   * when the controller received it (known once its result is; until then, when it was fetched).
   */
  get submittedAt(): number {
    const recorded = this.result?.submitted;
    return this.fetched && recorded !== undefined && recorded > 0 ? recorded : this.#submittedAt;
  }

  /** Resolves with the result. */
  get done(): Promise<TaskResult> {
    return this.#done.promise;
  }

  /**
   * Records output.
   *
   * @param name Stream.
   * @param text Text.
   * @param engineId Where it came from.
   */
  output(name: "stdout" | "stderr", text: string, engineId: EngineId): void {
    if (name === "stdout") this.stdout += text;
    else this.stderr += text;
    const chunk = { engineId, msgId: this.msgId, name, text };
    for (const l of this.#listeners) l(chunk);
  }

  /**
   * Subscribes to output chunks.
   *
   * @param listener Called per chunk.
   * @returns Unsubscribe.
   */
  listen(listener: (chunk: OutputChunk) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Records the result (first one wins).
   *
   * @param result The outcome.
   */
  finish(result: TaskResult): void {
    if (this.result) return;
    this.result = result;
    if (result.engineId >= 0) this.engineId = result.engineId;
    this.#done.resolve(result);
  }
}
