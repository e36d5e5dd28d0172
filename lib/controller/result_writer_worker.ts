/**
 * The controller's result-file writer thread (see `result_writer.ts`): writes each file it is
 * sent with a {@linkcode DirectFileWriter}, one at a time, and answers with the outcome.
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
    await writer.write(m.path, new Uint8Array(m.buffer));
    reply = { id: m.id, mode: writer.mode };
  } catch (error) {
    reply = { id: m.id, mode: writer.mode, error: (error as Error).message ?? String(error) };
  }
  parentPort!.postMessage(reply);
});
