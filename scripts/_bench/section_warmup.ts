/**
 * The bench's warm-up (not recorded): every 2-engine cluster runs each workload once, small,
 * before the repetitions; w4's big buffers at the measured size (the first ones are fresh
 * memory).
 *
 * @module
 */

import type { BenchContext } from "./context.ts";
import * as W from "./ipx_workloads.ts";
import { ippOk, ipxSystems, type MainClusters, mainNeeded } from "./main_clusters.ts";

/**
 * Warms up the 2-engine clusters (when they were started).
 *
 * @param ctx The run's context.
 * @param main The clusters.
 */
export async function warmUp(ctx: BenchContext, main: MainClusters): Promise<void> {
  const { s, want, log, ipp } = ctx;
  if (!mainNeeded(ctx)) return;
  log("\n== warm-up (not recorded)");
  for (const [, m] of ipxSystems(main, true)) {
    await W.applyRtt(m.client, 50);
    await W.executeAll(m.client, 10);
    await W.lbApply(m.client, 200);
    // at the measured size, on both systems: the first big buffers are fresh memory
    if (want("w4")) await W.pushPull(m.client, s.mb, 2);
    await W.scatterGather(m.client, 10_000, "list");
  }
  if (main.noDb) await W.pushPull(main.noDb.client, s.mb, 2);
  if (ippOk(ctx, main)) {
    await ipp!.call("apply_rtt", { n: 20 });
    await ipp!.call("execute_all", { n: 5 });
    await ipp!.call("lb_apply", { n: 50 });
    if (want("w4")) {
      for (const kind of ["numpy", "bytes"]) {
        await ipp!.call("pushpull", { mb: s.mb, kind, times: 2 }).catch(() => {});
      }
    }
    await ipp!.call("scatter_gather", { n: 10_000, kind: "list" });
  }
}
