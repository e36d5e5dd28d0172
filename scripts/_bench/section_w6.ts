/**
 * The bench's w6: cluster start to 4 engines registered, `s.slowReps` repetitions, who goes
 * first alternating; ipx's is a foreground `ipx cluster start` timed from its client (and to
 * its ready line), each in a fresh profile.
 *
 * @module
 */

import type { BenchContext } from "./context.ts";
import { timeForegroundCluster } from "./ipx_cluster.ts";
import { num } from "./readings.ts";

/**
 * Runs w6 (when wanted).
 *
 * @param ctx The run's context.
 */
export async function runW6(ctx: BenchContext): Promise<void> {
  const { s, want, log, measure, record, ipp, ipxProfiles } = ctx;
  if (!want("w6")) return;
  for (let r = 0; r < s.slowReps; r++) {
    log(`\n== w6: cluster start to 4 engines registered, repetition ${r + 1}/${s.slowReps}`);
    const ippSide = async () => {
      if (!ipp) return;
      await measure("start 4 engines", "ipp", "s", async () => {
        try {
          return num(await ipp.call("start", { name: "start4", n: 4 }), "seconds");
        } finally {
          await ipp.call("stop", { name: "start4" }).catch(() => {});
        }
      });
    };
    if (r % 2 === 1) await ippSide();
    const profile = `bench-start4-${r}`;
    ipxProfiles.add(profile);
    await measure("start 4 engines", "ipx", "s", async () => {
      const fg = await timeForegroundCluster(profile, 4, true);
      try {
        record("start 4 engines (ready line)", "ipx", "s", fg.readySeconds);
        return fg.clientSeconds;
      } finally {
        await fg.stop();
        ipxProfiles.delete(profile);
      }
    });
    if (r % 2 === 0) await ippSide();
  }
}
