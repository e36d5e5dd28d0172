/**
 * Measures what the load balancer's high-water mark (hwm: most tasks outstanding per engine)
 * costs and buys, on a real local cluster (controller and engine processes, local socket):
 *
 * - throughput of many tiny tasks (where hwm > 1 hides the round trip to the controller);
 * - makespan of uneven tasks (where hwm 1 balances best: a task never waits behind a long one).
 *
 * Not a test: prints a table. Usage:
 *   deno run -A --unstable-worker-options scripts/hwm_throughput.ts [--engines 2] [--tasks 2000]
 *     [--hwms auto,1,2,4,16,0]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Client } from "../mod.ts";
import { IpxProcess } from "../tests/_helpers/ipx_cli.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    engines: { type: "string", default: "2" },
    tasks: { type: "string", default: "2000" },
    hwms: { type: "string", default: "auto,1,2,4,16,0" },
  },
});
const N = Number(values.engines);
const TASKS = Number(values.tasks);
const HWMS = values.hwms.split(",").map((h) => h === "auto" ? "auto" as const : Number(h));

/** Spins for `ms` milliseconds. */
function spin(ms: number): number {
  const end = Date.now() + ms;
  while (Date.now() < end) { /* busy */ }
  return ms;
}

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ipx_hwm_" });
  const controller = new IpxProcess(dir, "controller");
  const engines = new IpxProcess(dir, "engine", "--n", String(N), "--wait-ms", "60000");
  try {
    await controller.waitFor(/ipx controller ready/);
    const client = await Client.connect({
      file: `${dir}/profile_default/security/ipx-client.json`,
      timeoutMs: 60_000,
    });
    await client.waitForEngines(N, { timeoutMs: 60_000 });
    // warm up every engine (compiles the functions)
    await client.loadBalancedView().map(spin, Array(4 * N).fill(0));
    console.log(
      `${N} engines, ${TASKS} tiny tasks; uneven = 1 × 300 ms + ${50 * N} × 2 ms; ` +
        `mixed = ${TASKS} tiny with 1 × 300 ms in the middle`,
    );
    console.log(
      " hwm | tiny tasks/s | uneven makespan (ms) | best possible (ms) | mixed makespan (ms)",
    );
    for (const hwm of HWMS) {
      const lv = client.loadBalancedView({ hwm });
      let t = performance.now();
      await lv.map((x: number) => x, Array.from({ length: TASKS }, (_, i) => i));
      const rate = TASKS / ((performance.now() - t) / 1000);
      // uneven: one long task first, then many short ones
      const work = [300, ...Array(50 * N).fill(2)];
      t = performance.now();
      await lv.map(spin, work);
      const makespan = performance.now() - t;
      const ideal = Math.max(300, work.reduce((a, b) => a + b, 0) / N);
      // mixed: a long task in the middle of tiny ones (the tiny ones behind it wait)
      const mixed = Array.from({ length: TASKS }, (_, i) => i === TASKS >> 1 ? 300 : 0);
      t = performance.now();
      await lv.map(spin, mixed);
      const mixedSpan = performance.now() - t;
      console.log(
        `${String(hwm).padStart(4)} | ${rate.toFixed(0).padStart(12)} | ` +
          `${makespan.toFixed(0).padStart(20)} | ${ideal.toFixed(0).padStart(18)} | ` +
          `${mixedSpan.toFixed(0).padStart(19)}`,
      );
    }
    await client.close();
  } finally {
    await engines.stop();
    await controller.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

await main();
