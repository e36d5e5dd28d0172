/**
 * Tells the controller at once when an engine process ends, with the cause the supervisor
 * saw ("killed by signal SIGKILL", "exit code 1", "out of memory"), so the controller does
 * not wait for missed heartbeats and names the cause in the EngineError of the engine's tasks.
 *
 * It keeps one authenticated client-role connection to the controller, reconnecting with
 * backoff when it drops (a restarted controller gets the reports made while it was away).
 * Reports of registered engines are sent again on every new connection for
 * {@linkcode RESEND_FOR_MS}: a controller killed right after reading one restores the engine
 * from its database as alive, and would otherwise wait its restore grace for an engine that is
 * gone (the controller ignores reports of engines it does not know, or whose pid differs).
 *
 * @module
 */

import { BackoffSleep } from "./backoff_sleep.ts";
import type { Channel } from "../protocol/channel.ts";
import { isPermanentConnectError } from "../protocol/errors.ts";
import { clientHandshake } from "../protocol/handshake.ts";
import type {
  ClientToController,
  ControllerToClient,
  EngineExitReport,
} from "../protocol/messages.ts";
import type { ByteConn } from "../protocol/transport.ts";

/** Options of {@linkcode ExitReporter}. */
export interface ExitReporterOptions {
  /** Opens a byte stream to the controller; `signal` aborts the attempt. */
  connect: (signal: AbortSignal) => Promise<ByteConn>;
  /** Base64 shared key. */
  key: string;
  /** Where the key came from (for errors). */
  keySource: string;
  /**
   * The connection file a wrong key tells the user to copy afresh. The reporter connects in
   * the client role but with the key of the engines' connection file. @default "ipx-engine.json"
   */
  keyFileName?: string;
  /** Log sink. */
  log?: (line: string) => void;
  /** Most reports kept (while the controller is unreachable, or to send again). @default 1000 */
  maxPending?: number;
}

type ReporterChannel = Channel<ClientToController, ControllerToClient>;

/** How long a report of a registered engine is sent again to each new connection. */
export const RESEND_FOR_MS = 10 * 60_000;

/** A connection that carries exit reports to the controller. */
export class ExitReporter implements AsyncDisposable {
  #o: ExitReporterOptions;
  #channel: ReporterChannel | undefined;
  /** Reports not delivered yet (of engines that never registered: sent once). */
  #pending: ClientToController[] = [];
  /** Reports of registered engines, with when they were made, sent to every connection. */
  #recent: Array<{ msg: ClientToController; at: number }> = [];
  #closed = false;
  #loop: Promise<void>;
  #backoff = new BackoffSleep();
  #abort = new AbortController();

  /** @param options How to reach the controller. */
  constructor(options: ExitReporterOptions) {
    this.#o = options;
    this.#loop = this.#run();
  }

  /**
   * Reports an engine exit (queued while the controller is unreachable).
   *
   * @param report What ended and how.
   */
  report(report: EngineExitReport): void {
    if (this.#closed) return;
    const msg: ClientToController = { type: "engine_exited", ...report };
    const max = this.#o.maxPending ?? 1000;
    const ch = this.#channel;
    if (report.engineId !== undefined) {
      this.#recent.push({ msg, at: Date.now() });
      if (this.#recent.length > max) this.#recent.shift();
    } else if (!ch || ch.isClosed) {
      this.#pending.push(msg);
      if (this.#pending.length > max) this.#pending.shift();
    }
    if (ch && !ch.isClosed) ch.send(msg);
  }

  async #run(): Promise<void> {
    let backoff = 100;
    while (!this.#closed) {
      let channel: ReporterChannel;
      try {
        const conn = await this.#o.connect(this.#abort.signal);
        channel = await clientHandshake<ClientToController, ControllerToClient>(conn, {
          key: this.#o.key,
          role: "client",
          keySource: this.#o.keySource,
          keyFileName: this.#o.keyFileName ?? "ipx-engine.json",
          peer: "controller",
          timeoutMs: 5000,
        });
      } catch (error) {
        if (isPermanentConnectError(error)) {
          this.#o.log?.(
            `cannot report engine exits to the controller: ${(error as Error).message}`,
          );
          return;
        }
        await this.#backoff.sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
        continue;
      }
      if (this.#closed) {
        channel.close();
        return;
      }
      backoff = 100;
      this.#channel = channel;
      const since = Date.now() - RESEND_FOR_MS;
      this.#recent = this.#recent.filter((r) => r.at >= since);
      for (const r of this.#recent) channel.send(r.msg);
      for (const msg of this.#pending.splice(0)) channel.send(msg);
      await channel.run(() => {});
      this.#channel = undefined;
    }
  }

  /** Sends what is queued and closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#backoff.wake();
    this.#abort.abort();
    const ch = this.#channel;
    if (ch) {
      await ch.flush().catch(() => {});
      ch.close();
    }
    await this.#loop;
  }

  /** Closes the reporter. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
