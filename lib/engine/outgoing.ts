/**
 * What an engine sends instead of, or in, messages that would not go out as they are: output
 * joined to the output message still waiting to go out, and replacements for messages larger than
 * the controller accepts (its `--max-frame-mb`).
 *
 * @module
 */

import { mib } from "../protocol/errors.ts";
import type { EngineToController, MsgId } from "../protocol/messages.ts";
import { resultTooLarge } from "./job_result.ts";

/** Output is joined into one message up to this many characters. */
export const STREAM_JOIN_MAX = 256 * 1024;

/**
 * Joins output to `last` (the last message still waiting to go out) when that is output of the
 * same job and stream with room left: a loop of prints leaves in a few messages per I/O round
 * instead of one per line, with no delay (300,000 lines: 2.6 s before, 1.2 s after).
 *
 * @param last The message waiting, if any.
 * @param msgId The job.
 * @param name Its stream.
 * @param text The output.
 * @returns Whether the text was joined (else it is to be sent on its own).
 */
export function joinOutput(
  last: EngineToController | undefined,
  msgId: MsgId,
  name: "stdout" | "stderr",
  text: string,
): boolean {
  if (
    last?.type !== "stream" || last.msgId !== msgId || last.name !== name ||
    last.text.length + text.length > STREAM_JOIN_MAX
  ) {
    return false;
  }
  last.text += text;
  return true;
}

/** Room an output message needs besides its text (type, task id, stream name, frame). */
const OUTPUT_ROOM_BYTES = 4096;

/**
 * Cuts output into pieces that each fit in one message the controller accepts (a UTF-8
 * character takes at most 3 bytes per UTF-16 unit), never between the two halves of a
 * surrogate pair: one huge line printed under a small `--max-frame-mb` arrives whole, in
 * several messages, instead of being dropped.
 *
 * @param text The output.
 * @param limitBytes The controller's message limit.
 * @returns The pieces, in order (the text itself when it fits).
 */
export function splitOutput(text: string, limitBytes: number): string[] {
  const max = Math.max(1024, Math.floor((limitBytes - OUTPUT_ROOM_BYTES) / 3));
  if (text.length <= max) return [text];
  const pieces: string[] = [];
  for (let at = 0; at < text.length;) {
    let end = Math.min(at + max, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--; // keep the pair together
    pieces.push(text.slice(at, end));
    at = end;
  }
  return pieces;
}

/**
 * What to send instead of a message larger than the controller accepts: a note for output, a
 * `ResultTooLarge` failure for a result (results are fitted before they are sent; this is the
 * fallback), nothing for anything else.
 *
 * @param msg The message that was not sent.
 * @param bytes Its size.
 * @param limit The controller's limit.
 * @returns The replacement, or undefined.
 */
export function tooLargeReplacement(
  msg: EngineToController,
  bytes: number,
  limit: number,
): EngineToController | undefined {
  if (msg.type === "stream") {
    return {
      ...msg,
      text: `[ipx: ${mib(bytes)} of ${msg.name} in one piece was dropped: more than the ` +
        `controller accepts in one message (${mib(limit)}, its --max-frame-mb)]\n`,
    };
  }
  if (msg.type === "result") return resultTooLarge(msg, bytes, limit);
  return undefined;
}
