/**
 * Turning what a workload returns into a figure (per-call µs, MB/s, mean engine RSS), reading
 * ipyparallel's replies, and the machine's load average.
 *
 * @module
 */

import type { IppReply } from "./ipp.ts";
import { rssKb } from "./ipx_cluster.ts";

/** Bytes per MB (throughputs are in MB/s, decimal). */
export const MB = 1e6;

/**
 * Microseconds per call.
 *
 * @param seconds Time for all calls.
 * @param calls How many calls.
 * @returns µs per call.
 */
export function perCallUs(seconds: number, calls: number): number {
  return seconds / calls * 1e6;
}

/**
 * Mean resident memory of ipx engine processes, in MiB (`/proc`).
 *
 * @param pids The engines' pids.
 * @returns The mean over the processes found; throws when none is.
 */
export function meanRssMb(pids: number[]): number {
  const kb = pids.map(rssKb).filter((v) => v > 0);
  if (kb.length === 0) throw new Error("no engine process found");
  return kb.reduce((a, b) => a + b, 0) / kb.length / 1024;
}

/**
 * A number from an ipyparallel reply.
 *
 * @param reply The reply.
 * @param key Its field.
 * @returns The value; throws when it is not a number.
 */
export function num(reply: IppReply, key: string): number {
  const v = reply[key];
  if (typeof v !== "number") throw new Error(`ipyparallel reply lacks ${key}`);
  return v;
}

/**
 * Mean memory of ipyparallel's engines, in MiB, from its `rss` reply.
 *
 * @param reply The reply (`engines`: one record per engine).
 * @param key `rss_kb` (the engine) or `tree_kb` (with its nanny).
 * @returns The mean over the engines found; throws when none is.
 */
export function ippRss(reply: IppReply, key: "rss_kb" | "tree_kb"): number {
  const engines = reply.engines as Array<Record<string, number>>;
  const kb = engines.map((e) => e[key]!).filter((v) => v > 0);
  if (kb.length === 0) throw new Error("no ipyparallel engine process found");
  return kb.reduce((a, b) => a + b, 0) / kb.length / 1024;
}

/**
 * The 1-minute load average (other work on the machine skews every figure).
 *
 * @returns Undefined when `/proc/loadavg` cannot be read.
 */
export function loadAverage(): number | undefined {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return undefined;
  }
}

/**
 * Waits (as before an idle memory reading, for the processes to settle).
 *
 * @param ms Milliseconds.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
