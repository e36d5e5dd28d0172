/**
 * {@linkcode ControllerDialer}: how an engine reaches its controller — connect and handshake,
 * and while that fails for a reason that may pass (the controller is down or restarting),
 * retry with a doubling backoff, giving up after a bound if one is set. A failure retrying
 * cannot mend (a wrong key, pin, version or transport, or a connection file the engine cannot
 * follow) ends it at once.
 *
 * @module
 */

import { BackoffSleep } from "./backoff_sleep.ts";
import { ConnectionFileChangedError } from "./file_follow.ts";
import type { Channel } from "../protocol/channel.ts";
import { ConnectionError, isPermanentConnectError } from "../protocol/errors.ts";
import { clientHandshake } from "../protocol/handshake.ts";
import type { ControllerToEngine, EngineToController } from "../protocol/messages.ts";
import type { ByteConn } from "../protocol/transport.ts";

/** An engine's link to its controller. */
export type EngineChannel = Channel<EngineToController, ControllerToEngine>;

/** What {@linkcode ControllerDialer} needs. */
export interface DialOptions {
  /** Opens a byte connection to the controller. */
  connect: () => Promise<ByteConn>;
  /** Base64 shared key. */
  key: string;
  /** Where the key came from (named in errors). */
  keySource: string;
  /** Delay before the first retry; doubles up to `maxBackoffMs`. @default 100 */
  minBackoffMs?: number;
  /** @default 5000 */
  maxBackoffMs?: number;
  /** Give up after failing to reach the controller for this long (0 = never). @default 0 */
  giveUpAfterMs?: number;
}

/** Connects an engine to its controller, retrying while that may still work. */
export class ControllerDialer {
  #o: DialOptions;
  #log: (message: string) => void;
  #sleep = new BackoffSleep();

  /**
   * @param options Where and how to connect, and the retry bounds.
   * @param log Receives a line per failed attempt.
   */
  constructor(options: DialOptions, log: (message: string) => void) {
    this.#o = options;
    this.#log = log;
  }

  /**
   * Connects and handshakes, retrying with backoff.
   *
   * @param stopped Whether the engine stopped meanwhile (checked before each attempt).
   * @returns The channel, or undefined once `stopped()` is true.
   * @throws the handshake's error when retrying cannot help; a {@linkcode ConnectionError}
   *   when `giveUpAfterMs` passed without reaching the controller.
   */
  async dial(stopped: () => boolean): Promise<EngineChannel | undefined> {
    let backoff = this.#o.minBackoffMs ?? 100;
    let failingSince = 0;
    while (!stopped()) {
      try {
        const conn = await this.#o.connect();
        return await clientHandshake<EngineToController, ControllerToEngine>(conn, {
          key: this.#o.key,
          role: "engine",
          keySource: this.#o.keySource,
          peer: "controller",
        });
      } catch (error) {
        // wrong key, pin, version or transport, or a file it cannot follow: retrying cannot help
        if (isPermanentConnectError(error) || error instanceof ConnectionFileChangedError) {
          throw error;
        }
        const now = performance.now(); // a wall clock may step
        if (!failingSince) failingSince = now;
        const limit = this.#o.giveUpAfterMs ?? 0;
        if (limit > 0 && now - failingSince > limit) {
          throw new ConnectionError(
            `Engine gave up reaching the controller after ${limit} ms: ${(error as Error).message}`,
            { cause: error },
          );
        }
        this.#log(
          `controller unreachable (${(error as Error).message}); retrying in ${backoff} ms`,
        );
        await this.#sleep.sleep(backoff);
        backoff = Math.min(backoff * 2, this.#o.maxBackoffMs ?? 5000);
      }
    }
    return undefined;
  }

  /** Cuts a wait between attempts short (the engine is stopping). */
  wake(): void {
    this.#sleep.wake();
  }
}
