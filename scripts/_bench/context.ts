/**
 * What every section of a bench run works with: the settings, the recording functions, the
 * ipyparallel driver and what to stop at the end.
 *
 * @module
 */

import type { IppDriver } from "./ipp.ts";
import type { Recorder } from "./recorder.ts";
import type { Settings } from "./settings.ts";

/** The state a bench run's sections share (the run in `run.ts` makes it). */
export interface BenchContext extends Recorder {
  /** The run's settings. */
  s: Settings;
  /**
   * Whether a workload was asked for (`--only`; all are by default).
   *
   * @param workload `w1`…`w8` or `floor`.
   */
  want(workload: string): boolean;
  /** The ipyparallel driver; undefined with `--no-ipp` or when ipyparallel is not installed. */
  ipp: IppDriver | undefined;
  /** Profiles of the ipx clusters running now (stopped by the run's cleanup). */
  ipxProfiles: Set<string>;
  /** Closers of the clients connected now, run last-first by the run's cleanup. */
  cleanups: Array<() => Promise<void>>;
}
