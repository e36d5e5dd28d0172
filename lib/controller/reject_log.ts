/**
 * Rate-limited logging of connections refused before they authenticated (TLS or key handshake
 * failures, deadlines, pre-auth limits). Anyone who can reach the controller's port can open
 * such connections thousands of times a second, so one log line each would let an
 * unauthenticated peer grow the log without bound. In every interval (10 s by default) the
 * first few refusals are logged at once and in full, so a single real failure (an engine with
 * a stale key) shows its whole actionable message; the rest are only counted, and reported as
 * one line when the interval ends, naming the last one.
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import type { Logger } from "./log.ts";

/** Default refusals logged in full per interval. */
export const DEFAULT_REJECT_BURST = 10;

/** Default length of an interval, in ms. */
export const DEFAULT_REJECT_INTERVAL_MS = 10_000;

/** Options of {@linkcode RejectLog}. */
export interface RejectLogOptions {
  /** Refusals logged in full per interval (at least 1). */
  burst?: number;
  /** Length of an interval in ms. */
  intervalMs?: number;
}

/** Logs refused connections: the first few per interval in full, the rest summarised. */
export class RejectLog {
  #log: Logger;
  #clock: Pick<Clock, "monotonic" | "after">;
  #burst: number;
  #intervalMs: number;
  #logged = 0;
  #suppressed = 0;
  #last = "";
  #windowStart = 0;
  #cancel: (() => void) | undefined;
  #closed = false;

  /**
   * @param log Where lines go (as warnings).
   * @param clock Time and the timer that ends an interval.
   * @param options Burst and interval.
   */
  constructor(
    log: Logger,
    clock: Pick<Clock, "monotonic" | "after">,
    options: RejectLogOptions = {},
  ) {
    this.#log = log;
    this.#clock = clock;
    this.#burst = Math.max(1, options.burst ?? DEFAULT_REJECT_BURST);
    this.#intervalMs = options.intervalMs ?? DEFAULT_REJECT_INTERVAL_MS;
  }

  /** Refusals counted but not yet reported (in the current interval). */
  get suppressed(): number {
    return this.#suppressed;
  }

  /**
   * Records a connection refused before it authenticated.
   *
   * @param peer The peer's address.
   * @param reason Why it was refused (the full message, with what to do).
   */
  rejected(peer: string, reason: string): void {
    if (this.#closed) {
      this.#log("warn", `rejected connection from ${peer}: ${reason}`);
      return;
    }
    if (!this.#cancel) {
      this.#windowStart = this.#clock.monotonic();
      this.#cancel = this.#clock.after(this.#intervalMs, () => this.#endInterval());
    }
    if (this.#logged < this.#burst) {
      this.#logged++;
      this.#log("warn", `rejected connection from ${peer}: ${reason}`);
      return;
    }
    this.#suppressed++;
    this.#last = `${peer}: ${reason}`;
  }

  /** Reports what is still counted and stops the timer (the controller is stopping). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancel?.();
    this.#endInterval();
  }

  #endInterval(): void {
    this.#cancel = undefined;
    const n = this.#suppressed;
    const seconds = Math.max(0, this.#clock.monotonic() - this.#windowStart) / 1000;
    this.#logged = 0;
    this.#suppressed = 0;
    if (n === 0) return;
    this.#log(
      "warn",
      `${n} more connection${n === 1 ? "" : "s"} failed to authenticate in the last ` +
        `${Number(seconds.toFixed(1))} s (last: ${this.#last}); only the first ${this.#burst} ` +
        `every ${this.#intervalMs / 1000} s are logged in full: a peer retrying with a stale ` +
        `connection file, or a scan or flood of this port (firewall it, or bind --ip to a ` +
        `trusted network)`,
    );
  }
}
