/**
 * How the bench's sections record figures and talk: every sample and failure goes into one
 * {@linkcode Figures}, and progress lines go to stderr (stdout carries the report, or the JSON
 * with `--json` alone).
 *
 * @module
 */

import type { Figures, System } from "./figures.ts";
import { fmtNum } from "./stats.ts";

/** Recording and logging functions, bound to one {@linkcode Figures}. */
export interface Recorder {
  /** Where the figures go. */
  figures: Figures;
  /**
   * Writes a progress line to stderr.
   *
   * @param line The line.
   */
  log(line: string): void;
  /**
   * Adds a sample.
   *
   * @param metric The figure's name.
   * @param system Which system.
   * @param unit The value's unit.
   * @param value The sample.
   */
  record(metric: string, system: System, unit: string, value: number): void;
  /**
   * Adds a failure and logs its first line.
   *
   * @param metric The figure's name.
   * @param system Which system.
   * @param unit The figure's unit.
   * @param error What was thrown.
   */
  recordError(metric: string, system: System, unit: string, error: unknown): void;
  /**
   * Runs one measurement, recording (and logging) its value, or its error.
   *
   * @param metric The figure's name.
   * @param system Which system.
   * @param unit Unit of the recorded value.
   * @param fn Produces the value.
   * @returns The value; undefined when `fn` failed.
   */
  measure(
    metric: string,
    system: System,
    unit: string,
    fn: () => Promise<number>,
  ): Promise<number | undefined>;
}

/**
 * The recording functions of one run.
 *
 * @param figures Where samples and failures go.
 * @returns Functions that need no `this` (they may be passed around alone).
 */
export function recorder(figures: Figures): Recorder {
  const log = (line: string): void => {
    console.error(line);
  };
  const record = (metric: string, system: System, unit: string, value: number): void => {
    figures.record(metric, system, unit, value);
  };
  const recordError = (metric: string, system: System, unit: string, error: unknown): void => {
    const message = figures.recordError(metric, system, unit, error);
    log(`  ! ${metric} on ${system} failed: ${message.split("\n")[0]}`);
  };
  const measure = async (
    metric: string,
    system: System,
    unit: string,
    fn: () => Promise<number>,
  ): Promise<number | undefined> => {
    try {
      const v = await fn();
      record(metric, system, unit, v);
      log(`  ${metric.padEnd(28)} ${system.padEnd(10)} ${fmtNum(v)} ${unit}`);
      return v;
    } catch (error) {
      recordError(metric, system, unit, error);
      return undefined;
    }
  };
  return { figures, log, record, recordError, measure };
}
