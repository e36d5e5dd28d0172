/**
 * The bench's measurements: every sample (and every failure) of each figure, by metric and
 * system.
 *
 * @module
 */

import { summarize, type Summary } from "./stats.ts";

/** Which system (or variant of one) a figure was measured on. */
export type System =
  | "ipx"
  | "ipx-tls"
  | "ipx-notls"
  | "ipx-nodb"
  | "ipp"
  | "ipp-bytes"
  | "floor"
  | "floor-thread";

/** All samples of one figure of one system. */
export interface Figure {
  metric: string;
  system: System;
  unit: string;
  samples: number[];
  errors: string[];
}

/** Samples and failures of every figure, in the order they were first recorded. */
export class Figures {
  #figures = new Map<string, Figure>();

  #figure(metric: string, system: System, unit: string): Figure {
    const key = `${metric}|${system}`;
    let f = this.#figures.get(key);
    if (!f) this.#figures.set(key, f = { metric, system, unit, samples: [], errors: [] });
    return f;
  }

  /**
   * Adds a sample.
   *
   * @param metric The figure's name.
   * @param system Which system.
   * @param unit The value's unit.
   * @param value The sample.
   */
  record(metric: string, system: System, unit: string, value: number): void {
    this.#figure(metric, system, unit).samples.push(value);
  }

  /**
   * Adds a failure of one measurement.
   *
   * @param metric The figure's name.
   * @param system Which system.
   * @param unit The figure's unit.
   * @param error What was thrown.
   * @returns The failure's message.
   */
  recordError(metric: string, system: System, unit: string, error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    this.#figure(metric, system, unit).errors.push(message);
    return message;
  }

  /**
   * Median and spread of a figure's samples.
   *
   * @param metric The figure's name.
   * @param system Which system.
   * @returns Undefined when it has no sample.
   */
  get(metric: string, system: System): Summary | undefined {
    const f = this.#figures.get(`${metric}|${system}`);
    return f && f.samples.length > 0 ? summarize(f.samples) : undefined;
  }

  /** Every figure, in the order first recorded. */
  all(): Figure[] {
    return [...this.#figures.values()];
  }
}
