/**
 * The bench's w2: `s.lbTasks` load-balanced tasks via `map` (chunksize 1) and via a burst of
 * `apply`s (ipx also with high-water marks 0 and 2, and over TLS on TCP), `s.slowReps`
 * repetitions, who goes first alternating; then w8's engine memory after it.
 *
 * @module
 */

import type { BenchContext } from "./context.ts";
import * as W from "./ipx_workloads.ts";
import { ippOk, type MainClusters, measureEngineRss } from "./main_clusters.ts";
import { num } from "./readings.ts";

/**
 * Runs w2 (when wanted), and after it w8's second memory reading (when that is wanted too).
 *
 * @param ctx The run's context.
 * @param main The 2-engine clusters.
 */
export async function runW2(ctx: BenchContext, main: MainClusters): Promise<void> {
  const { s, want, log, measure, ipp } = ctx;
  if (!want("w2")) return;
  const tls = main.tls!;
  for (let r = 0; r < s.slowReps; r++) {
    log(`\n== w2: ${s.lbTasks} load-balanced tasks, repetition ${r + 1}/${s.slowReps}`);
    const ippFirst = r % 2 === 1;
    const ippSide = async () => {
      if (!ippOk(ctx, main)) return;
      await measure(
        "lb map",
        "ipp",
        "tasks/s",
        async () =>
          s.lbTasks / num(await ipp!.call("lb_map", { n: s.lbTasks, chunksize: 1 }), "seconds"),
      );
      await measure(
        "lb apply burst",
        "ipp",
        "tasks/s",
        async () => s.lbTasks / num(await ipp!.call("lb_apply", { n: s.lbTasks }), "seconds"),
      );
    };
    if (ippFirst) await ippSide();
    await measure(
      "lb map",
      "ipx",
      "tasks/s",
      async () => s.lbTasks / await W.lbMap(tls.client, s.lbTasks),
    );
    await measure(
      "lb apply burst",
      "ipx",
      "tasks/s",
      async () => s.lbTasks / await W.lbApply(tls.client, s.lbTasks),
    );
    await measure(
      "lb apply burst hwm0",
      "ipx",
      "tasks/s",
      async () => s.lbTasks / await W.lbApply(tls.client, s.lbTasks, 0),
    );
    await measure(
      "lb apply burst hwm2",
      "ipx",
      "tasks/s",
      async () => s.lbTasks / await W.lbApply(tls.client, s.lbTasks, 2),
    );
    const tlsNet = main.tlsNet;
    if (tlsNet) {
      await measure(
        "lb apply burst",
        "ipx-tls",
        "tasks/s",
        async () => s.lbTasks / await W.lbApply(tlsNet.client, s.lbTasks),
      );
    }
    if (!ippFirst) await ippSide();
  }
  if (want("w8")) {
    log("\n== w8: engine memory after w2");
    await measureEngineRss(ctx, main, "rss after w2");
  }
}
