/**
 * {@linkcode PendingReplies}: a client's questions to the controller waiting for their replies
 * (queries), each bounded in time, all failed at once when the link drops or the client closes.
 *
 * @module
 */

import { IpxError, MessageTooLargeError, TimeoutError } from "../protocol/errors.ts";
import type { ControllerToClient } from "../protocol/messages.ts";

type Reply = Extract<ControllerToClient, { type: "reply" }>;

/** Questions waiting for the controller's reply, by request id. */
export class PendingReplies {
  #waiting = new Map<number, PromiseWithResolvers<unknown>>();
  #next = 1;

  /**
   * Asks: sends the question with a fresh request id and waits for its reply.
   *
   * @param send Sends the question under the given request id.
   * @param what What is asked, for the timeout's message (e.g. the query's kind).
   * @param timeoutMs How long to wait for the reply.
   * @returns The reply's value.
   * @throws {TimeoutError} when no reply came in time.
   * @throws {MessageTooLargeError} / {IpxError} when the controller refused the question.
   */
  async ask(send: (reqId: number) => void, what: string, timeoutMs: number): Promise<unknown> {
    const reqId = this.#next++;
    const waiter = Promise.withResolvers<unknown>();
    this.#waiting.set(reqId, waiter);
    send(reqId);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#waiting.delete(reqId);
        reject(new TimeoutError(`Controller did not answer ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([waiter.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A reply arrived: settles its question (replies to no waiting question are ignored).
   *
   * @param msg The reply.
   */
  settle(msg: Reply): void {
    const waiter = this.#waiting.get(msg.reqId);
    if (!waiter) return;
    this.#waiting.delete(msg.reqId);
    if (msg.ok) return waiter.resolve(msg.value);
    const text = `Controller refused the request: ${msg.error?.ename}: ${msg.error?.evalue}`;
    waiter.reject(
      msg.error?.ename === "MessageTooLarge" ? new MessageTooLargeError(text) : new IpxError(text),
    );
  }

  /**
   * Fails every waiting question.
   *
   * @param error Why (e.g. the link dropped).
   */
  failAll(error: Error): void {
    for (const w of this.#waiting.values()) w.reject(error);
    this.#waiting.clear();
  }
}
