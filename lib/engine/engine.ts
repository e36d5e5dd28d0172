/**
 * The engine runtime: connects to the controller, registers, runs tasks one at a time in the
 * sandboxed {@linkcode Executor}, streams their output, answers heartbeats from this (main)
 * thread while user code runs in a Worker, and reconnects with backoff when the controller
 * goes away — keeping its namespace.
 *
 * @module
 */

import { ENGINE_LIMITS, SentResults } from "./sent_results.ts";
import { SPARE_MIN_BYTES } from "./spare_buffers.ts";
import { fitResult, type JobStop, notStartedResult, ranResult } from "./job_result.ts";
import { joinOutput, splitOutput, tooLargeReplacement } from "./outgoing.ts";
import { ControllerDialer, type DialOptions, type EngineChannel } from "./controller_dialer.ts";
import { ConnectionError, mib, ProtocolError } from "../protocol/errors.ts";
import { DEFAULT_MAX_FRAME_BYTES } from "../protocol/frame.ts";
import {
  type ControllerToEngine,
  type EngineToController,
  type MsgId,
  type Op,
  STARTED_AFTER_MS,
} from "../protocol/messages.ts";
import type { Executor, RunOutcome } from "./executor.ts";

/** Options of {@linkcode Engine}: where its controller is (see `DialOptions`) and what it runs. */
export interface EngineOptions extends DialOptions {
  /** The code executor. */
  executor: Executor;
  /** Data directory (reported to the controller). */
  dataDir: string;
  /** Host name reported to the controller. */
  host?: string;
  /** Log sink. */
  log?: (message: string) => void;
  /** Called with the id each time the engine (re-)registers. */
  onRegistered?: (id: number) => void;
}

interface Job {
  msgId: MsgId;
  op: Op;
  timeoutMs?: number;
  /** The op's payload is a view of a frame that held only it (see `Channel.run`). */
  exclusive: boolean;
}

/** A job handed to the executor, until its result is sent. */
interface Handed {
  job: Job;
  /** What the executor's `run()` returned (the handle to stop it with). */
  run: Promise<RunOutcome>;
  /** Why it is being stopped (timeout, interrupt, abort), if it is. */
  stop?: JobStop;
  timer?: ReturnType<typeof setTimeout>;
  /** Its result is no longer wanted (the controller gave this engine a new id). */
  orphaned: boolean;
}

/**
 * Most jobs handed to the executor at once: it sends small ones to its Worker ahead, so the
 * Worker goes from one to the next without waiting for this thread.
 */
const HANDED_MAX = 4;

/** A running engine. */
export class Engine {
  #o: EngineOptions;
  #uuid = crypto.randomUUID();
  #channel: EngineChannel | undefined;
  #id: number | undefined;
  #queue: Job[] = [];
  /** Jobs handed to the executor, in order; at most one of them runs. */
  #handed: Handed[] = [];
  /** The job running now. */
  #current: Job | undefined;
  #outbox: EngineToController[] = [];
  /** The controller's frame limit, as its last handshake announced. */
  #sendLimit = DEFAULT_MAX_FRAME_BYTES;
  /** Results that went out on a connection (see `sent_results.ts`). */
  #sent = new SentResults(ENGINE_LIMITS);
  #stopped = false;
  /** When the current job started, whether it was announced, and the timer that checks. */
  #jobStarted = 0;
  #announced = false;
  #announceTimer: ReturnType<typeof setTimeout> | undefined;
  #done = Promise.withResolvers<void>();
  #lastPing = 0;
  #deadAfterMs = 0;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #dialer: ControllerDialer;

  /** @param options Connection, key, executor. */
  constructor(options: EngineOptions) {
    this.#o = options;
    this.#dialer = new ControllerDialer(options, (m) => this.#log(m));
    this.#done.promise.catch(() => {}); // a failure nobody waits for is no unhandled rejection
    // the code Worker's output waits while too much of it has not been sent (op_slots.ts)
    options.executor.outputWritten = () => this.#channel?.written() ?? Promise.resolve();
  }

  /** The id the controller gave this engine (changes if it re-registers after being dropped). */
  get id(): number | undefined {
    return this.#id;
  }

  /**
   * Resolves when the engine has stopped (shutdown request or {@linkcode stop}); rejects when,
   * once registered, it cannot register again and retrying cannot help (a controller's new key).
   */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** Starts the connect/serve/reconnect loop; resolves once first registered. */
  start(): Promise<number> {
    const first = Promise.withResolvers<number>();
    const onRegistered = this.#o.onRegistered;
    let settled = false;
    this.#o.onRegistered = (id) => {
      if (!settled) {
        settled = true;
        first.resolve(id);
      }
      onRegistered?.(id);
    };
    this.#loop().then(
      () => {
        if (!settled) first.reject(new ConnectionError("Engine stopped before it registered"));
      },
      (error) => {
        if (settled) this.#done.reject(error);
        else first.reject(error);
        this.#done.resolve();
      },
    );
    return first.promise;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      const channel = await this.#dialer.dial(() => this.#stopped);
      if (channel === undefined) break;
      await this.#serve(channel);
      this.#channel = undefined;
      if (!this.#stopped) this.#log("lost the controller; reconnecting");
    }
    this.#done.resolve();
  }

  async #serve(channel: EngineChannel): Promise<void> {
    this.#channel = channel;
    this.#sendLimit = channel.sendLimit;
    channel.onTooLarge = (msg, bytes, limit) => {
      const instead = tooLargeReplacement(msg, bytes, limit);
      if (instead) channel.send(instead);
      else this.#log(`a "${msg.type}" message of ${mib(bytes)} was too large to send`);
    };
    channel.send({
      type: "register",
      uuid: this.#uuid,
      pid: Deno.pid,
      host: this.#o.host ?? "localhost",
      dataDir: this.#o.dataDir,
      denoVersion: Deno.version.deno,
      ...(this.#id !== undefined
        ? { previousId: this.#id, running: this.#held(), finished: this.#sent.ids() }
        : {}),
    });
    // `alone`: the message was the only one in its frame (see `Channel.run`)
    const handlers: {
      [K in ControllerToEngine["type"]]: (
        m: Extract<ControllerToEngine, { type: K }>,
        alone: boolean,
      ) => void;
    } = {
      registered: (m) => {
        const previous = this.#id;
        this.#id = m.engineId;
        this.#o.executor.engineId = m.engineId; // named in its error messages
        this.#deadAfterMs = m.deadAfterMs;
        this.#lastPing = performance.now();
        this.#startWatchdog(channel, m.heartbeatMs);
        if (m.resumed) {
          // results finished while disconnected
          for (const msg of this.#outbox.splice(0)) this.#sendOn(channel, msg);
        } else if (previous !== undefined) {
          this.#forget(previous);
        }
        this.#o.onRegistered?.(m.engineId);
      },
      run: (m, alone) => {
        this.#queue.push({
          msgId: m.msgId,
          op: m.op,
          ...(m.timeoutMs ? { timeoutMs: m.timeoutMs } : {}),
          exclusive: alone,
        });
        this.#pump();
      },
      interrupt: (m) => this.#stop(m.msgIds, "Interrupted", "task {id} was interrupted"),
      resend: (m) => this.#resend(channel, Array.isArray(m.msgIds) ? m.msgIds : []),
      abort: (m) => this.#stop(m.msgIds, "TaskAborted", "task {id} was aborted"),
      shutdown: () => {
        this.#log("shutdown requested by the controller");
        void this.stop("shutdown requested by a client");
      },
      ping: (m) => {
        this.#lastPing = performance.now();
        channel.send({ type: "pong", t: m.t });
      },
    };
    await channel.run((msg, alone) => {
      if (!Object.hasOwn(handlers, msg.type)) {
        throw new ProtocolError(
          `Malformed message from the controller: unknown type ${JSON.stringify(msg.type)}`,
        );
      }
      (handlers[msg.type] as (m: ControllerToEngine, alone: boolean) => void)(msg, alone);
    });
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  /** Tasks this engine holds: queued, running, or finished with the result not yet sent. */
  #held(): MsgId[] {
    const ids = this.#queue.map((j) => j.msgId);
    for (const h of this.#handed) if (!h.orphaned) ids.push(h.job.msgId);
    for (const msg of this.#outbox) if (msg.type === "result") ids.push(msg.msgId);
    return ids;
  }

  /**
   * The controller had declared this engine dead and gave it a new id: every task it held
   * was already failed or run elsewhere, so drop them (and stop those handed to the executor).
   */
  #forget(previous: number): void {
    const dropped = this.#queue.length + this.#outbox.length + this.#handed.length;
    this.#queue = [];
    this.#outbox = [];
    this.#sent.clear();
    for (const h of this.#handed) {
      h.orphaned = true;
      void this.#o.executor.stop(h.run);
    }
    this.#log(
      `was engine ${previous}, declared dead by the controller; now engine ${this.#id}` +
        (dropped ? `; dropped ${dropped} task(s) it had already failed or retried elsewhere` : ""),
    );
  }

  #startWatchdog(channel: EngineChannel, heartbeatMs: number): void {
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    // the controller pings every heartbeatMs; if it goes silent, the link is dead. Bytes of a
    // big message still arriving count as life: its pings queue behind that message, so then
    // this engine beats on its own (the controller hears from it while it sends)
    let seen = channel.bytesRead;
    let heard = performance.now();
    this.#watchdog = setInterval(() => {
      const now = performance.now();
      const read = channel.bytesRead;
      if (read !== seen) {
        seen = read;
        heard = now;
      }
      heard = Math.max(heard, this.#lastPing);
      if (now - heard > Math.max(this.#deadAfterMs * 2, heartbeatMs * 4)) {
        channel.close(new ConnectionError("no ping from the controller"));
      } else if (now - this.#lastPing > heartbeatMs * 1.5) {
        channel.send({ type: "pong", t: 0 });
      }
    }, heartbeatMs);
  }

  #send(msg: EngineToController): void {
    if (msg.type === "result") msg = fitResult(msg, this.#sendLimit);
    const ch = this.#channel;
    if (ch && !ch.isClosed && this.#id !== undefined) this.#sendOn(ch, msg);
    else if (msg.type === "result") this.#outbox.push(msg);
  }

  /** Sends on a channel, remembering which results went out (see `finished` in `register`). */
  #sendOn(channel: EngineChannel, msg: EngineToController): void {
    channel.send(msg);
    if (msg.type !== "result") return;
    this.#sent.add(msg);
    const value = msg.ok ? msg.value : undefined;
    if (value !== undefined && value.byteLength > SPARE_MIN_BYTES) {
      // too big to be kept for sending again: once written, its buffer can be reused
      void channel.written().then(() => this.#o.executor.recycle(value));
    }
  }

  /** The controller lost these results on the way: sends them again, or says they are gone. */
  #resend(channel: EngineChannel, msgIds: MsgId[]): void {
    const now = Date.now();
    for (const msgId of msgIds) channel.send(this.#sent.resendable(msgId, this.#id, now));
  }

  #stop(msgIds: MsgId[], ename: string, evalue: string): void {
    const want = new Set(msgIds);
    this.#queue = this.#queue.filter((job) => {
      if (!want.has(job.msgId)) return true;
      this.#send(notStartedResult(job.msgId, { ename, evalue }));
      return false;
    });
    for (const h of this.#handed) {
      if (!want.has(h.job.msgId) || h.stop !== undefined) continue;
      h.stop = { ename, evalue };
      void this.#o.executor.stop(h.run).then(({ started, reset, clean }) => {
        if (!started) return; // withdrawn: answered like a queued job (see #finished)
        this.#send({ type: "interrupted", msgIds: [h.job.msgId], reset, clean });
        if (!clean) {
          this.#log(
            "the stopped code kept spinning in its worker (code without interrupt checks); " +
              "it uses a CPU until this engine process restarts",
          );
        }
      });
    }
  }

  /**
   * Announces the current job as started once it has run {@linkcode STARTED_AFTER_MS}: short
   * jobs carry their start time in the result, and two fewer frames per task matter for many
   * small tasks. One timer serves a run of jobs (re-armed for whichever job is current), not
   * one timer per job.
   */
  #watchStart(): void {
    if (this.#announceTimer !== undefined) return;
    const check = () => {
      this.#announceTimer = undefined;
      const job = this.#current;
      if (!job || this.#announced) return; // the next job arms it again
      const age = Date.now() - this.#jobStarted;
      if (age < STARTED_AFTER_MS) {
        this.#announceTimer = setTimeout(check, STARTED_AFTER_MS - age);
        return;
      }
      this.#announced = true;
      this.#send({ type: "started", msgId: job.msgId, started: this.#jobStarted });
    };
    this.#announceTimer = setTimeout(check, STARTED_AFTER_MS);
  }

  #stopWatching(): void {
    if (this.#announceTimer !== undefined) clearTimeout(this.#announceTimer);
    this.#announceTimer = undefined;
  }

  /** Output of a job: joined to the output message still waiting to go out, or sent. */
  #output(msgId: MsgId, name: "stdout" | "stderr", text: string): void {
    for (const piece of splitOutput(text, this.#sendLimit)) {
      const ch = this.#channel;
      const last = ch && this.#id !== undefined ? ch.lastPending() : undefined;
      if (!joinOutput(last, msgId, name, piece)) {
        this.#send({ type: "stream", msgId, name, text: piece });
      }
    }
  }

  /** Hands queued jobs to the executor, up to {@linkcode HANDED_MAX} at once. */
  #pump(): void {
    while (this.#queue.length > 0 && this.#handed.length < HANDED_MAX && !this.#stopped) {
      const job = this.#queue.shift()!;
      const h = { job, orphaned: false } as Handed;
      this.#handed.push(h);
      h.run = this.#o.executor.run(
        job.op,
        (name, text) => this.#output(job.msgId, name, text),
        { exclusive: job.exclusive, onStart: (startedAt) => this.#started(h, startedAt) },
      );
      h.run.then((outcome) => this.#finished(h, outcome), (error: unknown) => {
        const now = Date.now();
        this.#finished(h, {
          ok: false,
          error: {
            ename: "EngineError",
            evalue: `executor failed: ${error instanceof Error ? error.message : String(error)}`,
            stack: "",
          },
          executionCount: 0,
          startedAt: now,
          completedAt: now,
        });
      });
    }
  }

  /** A handed job started: it is the current one; its timeout and announcement start now. */
  #started(h: Handed, startedAt: number): void {
    if (h.orphaned) return;
    this.#current = h.job;
    this.#jobStarted = startedAt;
    this.#announced = false;
    this.#watchStart();
    const ms = h.job.timeoutMs;
    if (ms) {
      h.timer = setTimeout(() => {
        this.#stop(
          [h.job.msgId],
          "TaskTimeout",
          `task {id} ran longer than its timeout of ${ms} ms and was stopped`,
        );
      }, ms);
    }
  }

  /** A handed job ended (or was withdrawn before it started): sends its result. */
  #finished(h: Handed, result: RunOutcome): void {
    if (h.timer !== undefined) clearTimeout(h.timer);
    this.#handed.splice(this.#handed.indexOf(h), 1);
    if (this.#current === h.job) this.#current = undefined;
    if (this.#handed.length === 0) this.#stopWatching();
    if (h.orphaned) {
      // the controller gave this engine a new id: nobody waits for this result
    } else if (result.withdrawn) {
      // it never ran: answered as a job stopped in the queue
      this.#send(
        notStartedResult(
          h.job.msgId,
          h.stop ?? { ename: "TaskAborted", evalue: "task {id} was withdrawn" },
          true,
        ),
      );
    } else this.#send(ranResult(h.job.msgId, result, h.stop));
    this.#pump();
  }

  #log(message: string): void {
    this.#o.log?.(`engine${this.#id !== undefined ? ` ${this.#id}` : ""}: ${message}`);
  }

  /**
   * Stops the engine: tells the controller, closes the connection and the executor.
   *
   * @param reason Why, for the controller's log and the EngineError of unfinished tasks.
   */
  async stop(reason = "stopped"): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#dialer.wake();
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    if (this.#channel) {
      if (this.#id !== undefined) this.#channel.send({ type: "unregister", reason });
      await this.#channel.flush().catch(() => {});
      this.#channel.close();
    }
    await this.#o.executor.close();
    this.#done.resolve();
  }

  /** Stops the engine. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
