/**
 * Test fixtures for the {@linkcode Executor} (used by its `_test.ts` files only).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeValue } from "../protocol/codec.ts";
import { Executor, type ExecutorOptions, type Op, type RunOutcome } from "./executor.ts";

/** What {@linkcode withExecutor} gives a test. */
export interface Fixture {
  /** The executor. */
  ex: Executor;
  /** Its data dir (absolute, real path). */
  data: string;
  /** A directory outside the sandbox, holding `secret.txt`. */
  outside: string;
}

/**
 * Runs `fn` with a fresh executor on a fresh data dir; always closes and cleans up.
 *
 * @param fn The test body.
 * @param options Executor options besides the data dir (engine id 7 by default).
 */
export function withExecutor(
  fn: (f: Fixture) => Promise<void>,
  options: Partial<ExecutorOptions> = {},
): Promise<void> {
  return withDataDirs("ipx_exec_", async (data, outside) => {
    const ex = await Executor.create({ dataDir: data, engineId: 7, ...options });
    try {
      await fn({ ex, data, outside });
    } finally {
      await ex.close();
    }
  });
}

/**
 * Runs `fn` with a fresh data dir and, beside it, an `outside` dir holding `secret.txt`
 * ("TOP-SECRET"), both under one temporary root (real path) that is removed afterwards.
 *
 * @param prefix Name prefix of the temporary root.
 * @param fn The test body.
 */
export async function withDataDirs(
  prefix: string,
  fn: (data: string, outside: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  const data = join(root, "data");
  const outside = join(root, "outside");
  await Deno.mkdir(data);
  await Deno.mkdir(outside);
  await Deno.writeTextFile(join(outside, "secret.txt"), "TOP-SECRET");
  try {
    await fn(data, outside);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/**
 * The decoded value of a successful outcome; fails the test otherwise.
 *
 * @param outcome The outcome.
 */
export function value(outcome: RunOutcome): unknown {
  if (!outcome.ok) assert.fail(`expected success, got ${JSON.stringify(outcome.error)}`);
  return decodeValue(outcome.value);
}

/**
 * The error of a failed outcome; fails the test otherwise.
 *
 * @param outcome The outcome.
 */
export function failure(outcome: RunOutcome): Extract<RunOutcome, { ok: false }>["error"] {
  if (outcome.ok) assert.fail(`expected failure, got ${Deno.inspect(decodeValue(outcome.value))}`);
  return outcome.error;
}

/**
 * An `execute` op.
 *
 * @param code The code.
 */
export const exec = (code: string): Op => ({ kind: "execute", code });
