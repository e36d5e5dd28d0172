/**
 * Run as its own process by `lib/repl/local_evaluator_test.ts` (a crash would take the test
 * runner with it): evaluates `n` cells back to back in one {@linkcode LocalEvaluator}, as cells
 * piped into the REPL run, and prints `done N` when all of them gave their value.
 *
 * ```text
 * deno run -A --unstable-worker-options tests/_helpers/local_cells_loop.ts N CODE
 * ```
 *
 * @module
 */

import { LocalEvaluator } from "../../lib/repl/local_evaluator.ts";

const n = Number(Deno.args[0]);
const code = Deno.args[1] ?? "1 + 1";
using ev = await LocalEvaluator.create();
const first = await ev.evaluate(code);
if (!first.ok) throw first.error;
for (let i = 1; i < n; i++) {
  const outcome = await ev.evaluate(code);
  if (!outcome.ok) throw new Error(`cell ${i} failed: ${String(outcome.error)}`);
}
console.log(`done ${n}`);
