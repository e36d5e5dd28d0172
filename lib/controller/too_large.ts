/**
 * What the controller sends instead of a reply too large for the client's frame limit (e.g. the
 * results of many big tasks asked for at once): a failed reply that says so, so the client's
 * request fails with a clear error instead of waiting for an answer that never comes.
 *
 * @module
 */

import type { Channel, Typed } from "../protocol/channel.ts";
import { mib } from "../protocol/errors.ts";
import type { ControllerToClient } from "../protocol/messages.ts";

/**
 * The failed reply that replaces a too-large `reply` message.
 *
 * @param msg The message that could not be sent.
 * @param bytes Its size.
 * @param limit The client's frame limit.
 * @returns The replacement, or undefined when `msg` is not a reply.
 */
export function tooLargeReply(
  msg: { type: string; reqId?: number },
  bytes: number,
  limit: number,
): ControllerToClient | undefined {
  if (msg.type !== "reply" || typeof msg.reqId !== "number") return undefined;
  return {
    type: "reply",
    reqId: msg.reqId,
    ok: false,
    error: {
      ename: "MessageTooLarge",
      evalue: `The answer is ${mib(bytes)} encoded, more than a client accepts in one message ` +
        `(${mib(limit)}, the controller's --max-frame-mb): ask for fewer results at a time`,
      stack: "",
    },
  };
}

/**
 * Makes a channel answer its too-large replies with {@linkcode tooLargeReply}; any other
 * message too large to send is reported to `warn`.
 *
 * @param channel A channel to a client or an engine.
 * @param warn Where other cases go (the controller's log).
 */
export function answerTooLarge(channel: Channel<Typed, Typed>, warn: (m: string) => void): void {
  channel.onTooLarge = (msg, bytes, limit) => {
    const reply = tooLargeReply(msg, bytes, limit);
    if (reply) channel.send(reply);
    else warn(`a "${msg.type}" message of ${mib(bytes)} was too large to send`);
  };
}
