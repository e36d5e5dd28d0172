/**
 * The bench's floor section: raw TCP with ipx's framing and codec but no ipx logic
 * (`scripts/bench_floor.ts`), on the main thread and on a worker thread; run with `floor`, `w1`
 * or `w2`.
 *
 * @module
 */

import { FloorPipeline } from "../bench_floor.ts";
import type { BenchContext } from "./context.ts";

/**
 * Measures the floor's latency and throughput (when wanted).
 *
 * @param ctx The run's context.
 */
export async function runFloor(ctx: BenchContext): Promise<void> {
  const { s, want, log, measure, recordError } = ctx;
  if (!(want("floor") || want("w1") || want("w2"))) return;
  log("\n== floor: raw TCP, same framing and codec, no ipx logic");
  for (const [system, thread] of [["floor", false], ["floor-thread", true]] as const) {
    let floor: FloorPipeline | undefined;
    try {
      floor = await FloorPipeline.start({ thread });
      await floor.latency(200);
      await floor.throughput(2000, 64);
      for (let r = 0; r < s.reps; r++) {
        await measure("floor latency", system, "µs", () => floor!.latency(s.floorCalls));
        await measure(
          "floor throughput",
          system,
          "req/s",
          () => floor!.throughput(s.floorTasks, 64),
        );
      }
    } catch (error) {
      recordError("floor latency", system, "µs", error);
    } finally {
      await floor?.close();
    }
  }
}
