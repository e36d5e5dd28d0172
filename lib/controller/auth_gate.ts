/**
 * A bound on connections that have not authenticated yet. Each one holds a socket, a small
 * buffer and a deadline timer until it proves the key (a few milliseconds for ipx peers) or
 * its 2 s handshake deadline passes, so a flood of silent sockets could otherwise pile up file
 * descriptors and memory. At most `max` are held: a new connection past the bound closes the
 * oldest pending one, so a peer that really authenticates (in milliseconds) gets through even
 * during a flood, while a flood only ever holds `max` sockets. Evictions are logged at most
 * once a second, with a count, so a flood cannot flood the log either.
 *
 * @module
 */

import type { Logger } from "./log.ts";

/** Default bound on connections authenticating at once. */
export const DEFAULT_MAX_PENDING_AUTH = 128;

/** Connections in their handshake, oldest first. */
export class PendingAuthGate {
  #max: number;
  #log: Logger;
  #now: () => number;
  #pending = new Set<() => void>();
  #evicted = 0;
  #lastReport = -Infinity;

  /**
   * @param max Most connections held before they authenticate (at least 1).
   * @param log Where evictions are reported.
   * @param now Clock in ms (for rate-limiting reports).
   */
  constructor(max: number, log: Logger, now: () => number = Date.now) {
    this.#max = Math.max(1, max);
    this.#log = log;
    this.#now = now;
  }

  /** Connections authenticating now. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Connections closed so far to stay within the bound. */
  get evicted(): number {
    return this.#evicted;
  }

  /**
   * Admits a connection that starts its handshake, closing the oldest pending one if the
   * bound is reached.
   *
   * @param peer The new peer's address (for the report).
   * @param close Closes this connection (called if it is evicted later).
   * @returns Call when its handshake ended, either way.
   */
  enter(peer: string, close: () => void): () => void {
    if (this.#pending.size >= this.#max) {
      const oldest = this.#pending.values().next().value!;
      this.#pending.delete(oldest);
      this.#evicted++;
      oldest();
      this.#report(peer);
    }
    this.#pending.add(close);
    return () => this.#pending.delete(close);
  }

  /** Closes every connection still authenticating (the controller is stopping). */
  closeAll(): void {
    const all = [...this.#pending];
    this.#pending.clear();
    for (const close of all) close();
  }

  #report(peer: string): void {
    const now = this.#now();
    if (now - this.#lastReport < 1000) return;
    this.#lastReport = now;
    this.#log(
      "warn",
      `${this.#max} connections are authenticating at once (latest from ${peer}); closed the ` +
        `oldest (${this.#evicted} so far): a flood of unauthenticated connections, or raise ` +
        `--max-pending-auth if that many peers really connect at the same moment`,
    );
  }
}
