/**
 * The controller's result-file writer thread (see `result_writer.ts`): writes each file it is
 * sent with a {@linkcode DirectFileWriter}, one at a time, and answers with the outcome and the
 * request's buffer (for reuse).
 *
 * @module
 */

import { parentPort } from "node:worker_threads";
import { DirectFileWriter } from "./direct_write.ts";
import type { WriteReply, WriteRequest } from "./result_writer.ts";

const writer = new DirectFileWriter();

parentPort!.on("message", async (m: WriteRequest) => {
  let reply: WriteReply;
  try {
    await writer.write(m.path, new Uint8Array(m.buffer, 0, m.length));
    reply = { id: m.id, mode: writer.mode, buffer: m.buffer };
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    reply = { id: m.id, mode: writer.mode, error: message, buffer: m.buffer };
  }
  parentPort!.postMessage(reply, [m.buffer]);
});
