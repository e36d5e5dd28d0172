/**
 * Durability of big results across controller crashes (not a unit test): a controller and 2
 * engines (`ipx controller --no-tls`, `ipx engine --n 2`), rounds of load-balanced tasks
 * that each return a big, seeded byte pattern, the controller SIGKILLed right after each round's
 * results arrive (while their files may still be being written) and started again; at the end a
 * fresh client asks for every result by id. Each must come back exactly, or fail with the
 * controller's "not completely written" explanation — never as wrong bytes, never another
 * error. Prints the counts; exits 1 if any result was wrong or failed otherwise.
 *
 * ```text
 * deno run -A scripts/durability.ts [--rounds 6] [--per-round 6] [--max-mb 16] [--kill-after-ms 0]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Client } from "../mod.ts";
import { IpxProcess } from "../tests/_helpers/ipx_cli.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "6" },
    "per-round": { type: "string", default: "6" },
    "max-mb": { type: "string", default: "16" },
    "kill-after-ms": { type: "string", default: "0" },
  },
});
const ROUNDS = Number(values.rounds);
const PER_ROUND = Number(values["per-round"]);
const MAX_MB = Number(values["max-mb"]);
const KILL_AFTER_MS = Number(values["kill-after-ms"]);

const dir = await Deno.makeTempDir({ prefix: "ipx-durability-" });
const file = `${dir}/profile_default/security/ipx-client.json`;

/** Starts a controller and waits until it says it is ready. */
async function startController(): Promise<IpxProcess> {
  const controller = new IpxProcess(dir, "controller", "--no-tls");
  await controller.waitFor(/ipx controller ready/);
  return controller;
}

/** The byte pattern a task returns (computed on the engine; checked here). */
function patternByte(k: number, seed: number): number {
  return (k * 31 + seed) & 0xff;
}

const made: { id: string; seed: number; size: number }[] = [];
let exact = 0;
let lost = 0;
let wrong = 0;
let other = 0;
let controller = await startController();
const engines = new IpxProcess(dir, "engine", "--n", "2", "--wait-ms", "60000");
try {
  for (let round = 0; round < ROUNDS; round++) {
    const client = await Client.connect({ file });
    await client.waitForEngines(2, { timeoutMs: 60_000 });
    const lv = client.loadBalancedView();
    const batch = Array.from({ length: PER_ROUND }, (_, i) => ({
      seed: round * PER_ROUND + i,
      size: Math.max(1, Math.round(((1 + (round + i) % 4) / 4) * MAX_MB * 1024 * 1024)) + i * 777,
    }));
    const ars = batch.map((b) =>
      lv.apply(
        (seed: number, size: number) => {
          const out = new Uint8Array(size);
          for (let k = 0; k < size; k++) out[k] = (k * 31 + seed) & 0xff;
          return out;
        },
        b.seed,
        b.size,
      )
    );
    await Promise.all(ars);
    ars.forEach((ar, i) => made.push({ id: ar.msgIds[0]!, ...batch[i]! }));
    if (KILL_AFTER_MS > 0) await new Promise((r) => setTimeout(r, KILL_AFTER_MS));
    await controller.stop("SIGKILL");
    await client.close().catch(() => {});
    controller = await startController();
    console.log(`round ${round + 1}/${ROUNDS}: ${PER_ROUND} results, controller killed`);
  }
  const client = await Client.connect({ file });
  for (const { id, seed, size } of made) {
    try {
      const [value] = await client.getResult(id) as Uint8Array[];
      let same = value !== undefined && value.length === size;
      for (let k = 0; same && k < size; k += 4099) same = value![k] === patternByte(k, seed);
      if (same && size > 0) same = value![size - 1] === patternByte(size - 1, seed);
      if (same) exact++;
      else wrong++;
    } catch (error) {
      const message = (error as Error).message;
      if (/not completely written/.test(message)) lost++;
      else {
        other++;
        console.log(`  ${id}: ${message.slice(0, 300)}`);
      }
    }
  }
  await client.close();
} finally {
  await engines.stop();
  await controller.stop();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
console.log(
  `durability: ${made.length} results over ${ROUNDS} controller kills: exact ${exact}, ` +
    `reported lost ${lost}, WRONG ${wrong}, other errors ${other}`,
);
Deno.exit(wrong + other > 0 ? 1 : 0);
