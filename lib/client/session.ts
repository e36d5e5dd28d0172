/**
 * The client's live link to the controller: submits tasks, routes their output and results
 * to {@linkcode TaskHandle}s, answers queries, tracks engines, and reconnects when the link
 * drops — re-attaching outstanding tasks so no result is silently lost.
 *
 * @module
 */

import type { Channel } from "../protocol/channel.ts";
import {
  ConnectionError,
  type ErrorData,
  isPermanentConnectError,
  MessageTooLargeError,
} from "../protocol/errors.ts";
import { clientHandshake } from "../protocol/handshake.ts";
import type {
  ClientToController,
  ControllerToClient,
  EngineInfo,
  MsgId,
  Query,
  SubmitTask,
  TaskResult,
} from "../protocol/messages.ts";
import { EngineRoster } from "./engine_roster.ts";
import { Resubmissions } from "./resubmissions.ts";
import { PendingReplies } from "./pending_replies.ts";
import {
  closedResult,
  linkLostResult,
  lostWhileDownResult,
  REFUSED_GRACE_MS,
  refusedError,
} from "./link_lost.ts";
import { sizeTasks, tooLargeResult } from "./submit_size.ts";
import { TaskHandle } from "./task_handle.ts";
import type { EngineEvent, ResultAnswer, SessionOptions, TaskSpec } from "./session_types.ts";

type ClientChannel = Channel<ClientToController, ControllerToClient>;

export type { EngineEvent, ResultAnswer, SessionOptions, TaskSpec } from "./session_types.ts";

/** The client's connection state. */
export class Session {
  #o: SessionOptions;
  #channel: ClientChannel | undefined;
  #tasks = new Map<MsgId, TaskHandle>();
  #roster = new EngineRoster();
  #replies = new PendingReplies();
  #prefix = crypto.randomUUID().slice(0, 8);
  #counter = 0;
  #closed = false;
  #reconnecting: Promise<void> | undefined;
  #engineListeners = new Set<(e: EngineEvent) => void>();
  #fatal: Error | undefined;
  /** Why the controller said it shuts down for good (no reconnect then). */
  #shutDown: string | undefined;
  /** Tasks this client may submit again after a failure it can mend (see the module). */
  #resubmit = new Resubmissions();
  /** Tasks submitted while disconnected, sent when the link is back. */
  #unsent: SubmitTask[] = [];
  /** Abort/interrupt requests not yet settled, sent again after a reconnect. */
  #stops = new Map<MsgId, "abort" | "interrupt">();

  /** @param options How to connect. */
  constructor(options: SessionOptions) {
    this.#o = options;
  }

  /** Connects (first time); `handshakeMs` bounds the handshake (default: `timeoutMs`). */
  async open(handshakeMs?: number): Promise<void> {
    await this.#connectOnce(handshakeMs);
  }

  async #connectOnce(handshakeMs?: number): Promise<void> {
    const conn = await this.#o.connect();
    const channel = await clientHandshake<ClientToController, ControllerToClient>(conn, {
      key: this.#o.key,
      role: "client",
      keySource: this.#o.keySource,
      timeoutMs: handshakeMs ?? this.#o.timeoutMs ?? 10_000,
      peer: "controller",
    });
    const gotEngines = Promise.withResolvers<void>();
    channel.onTooLarge = (msg, bytes, limit) => {
      if (msg.type !== "submit") {
        console.error(`ipx: a "${msg.type}" message of ${bytes} bytes was too large to send`);
      } else if (msg.tasks.length > 1) {
        for (const t of msg.tasks) channel.send({ type: "submit", tasks: [t] }); // one by one
      } else if (msg.tasks.length === 1) {
        queueMicrotask(() => this.#finish(tooLargeResult(msg.tasks[0]!, bytes, limit)));
      }
    };
    this.#channel = channel;
    const loop = channel.run((msg) => this.#handle(msg, gotEngines.resolve));
    loop.then((error) => this.#onClosed(channel, error));
    const failed = loop.then((error) => {
      throw error ?? new ConnectionError("The controller closed the connection");
    });
    await Promise.race([gotEngines.promise, failed]);
  }

  #handle(msg: ControllerToClient, gotEngines: () => void): void {
    switch (msg.type) {
      case "engines":
        this.#emit(this.#roster.list(msg.engines, msg.restoring));
        gotEngines();
        return;
      case "engine_registered":
        this.#emit(this.#roster.registered(msg.engine));
        return;
      case "engine_unregistered":
        this.#emit(this.#roster.unregistered(msg.engineId, msg.reason));
        return;
      case "assigned": {
        // assigned is not received: the task may still be lost before it ran
        const t = this.#tasks.get(msg.msgId);
        if (t) t.engineId = msg.engineId;
        return;
      }
      case "started": {
        this.#resubmit.ran(msg.msgId);
        const t = this.#tasks.get(msg.msgId);
        if (t) {
          t.engineId = msg.engineId;
          t.startedAt = msg.started;
        }
        return;
      }
      case "stream":
        this.#resubmit.ran(msg.msgId);
        this.#tasks.get(msg.msgId)?.output(msg.name, msg.text, msg.engineId);
        return;
      case "result": {
        const { type: _t, ...result } = msg;
        if (!result.ok && result.error && this.#recover(result.msgId, result.error)) return;
        this.#finish(result);
        return;
      }
      case "reply":
        return this.#replies.settle(msg);
      case "pong":
        return;
      case "shutdown":
        this.#shutDown = msg.reason;
        return;
    }
  }

  /**
   * Submits a task again under its id when its failure can be mended that way (see
   * `resubmissions.ts`) and nobody asked to stop it.
   *
   * @param msgId The task.
   * @param error Its failure; undefined when the controller does not know it.
   * @returns Whether it was submitted again (its result is still to come).
   */
  #recover(msgId: MsgId, error: ErrorData | undefined): boolean {
    if (this.#stops.has(msgId) || !this.#tasks.has(msgId)) return false;
    const spec = this.#resubmit.again(msgId, error);
    if (!spec) return false;
    this.#send([spec]);
    return true;
  }

  #finish(result: TaskResult): void {
    this.#stops.delete(result.msgId);
    this.#resubmit.done(result.msgId);
    const t = this.#tasks.get(result.msgId);
    if (!t) return;
    this.#tasks.delete(result.msgId);
    t.finish(result);
  }

  #emit(events: EngineEvent[]): void {
    for (const e of events) for (const l of this.#engineListeners) l(e);
  }

  /**
   * Subscribes to engine membership changes.
   *
   * @param listener Called per event.
   * @returns Unsubscribe.
   */
  onEngine(listener: (e: EngineEvent) => void): () => void {
    this.#engineListeners.add(listener);
    return () => this.#engineListeners.delete(listener);
  }

  /** Live engines, ascending by id. */
  get engines(): EngineInfo[] {
    return this.#roster.engines;
  }

  /** Ids of tasks not yet finished. */
  get outstanding(): MsgId[] {
    return [...this.#tasks.keys()];
  }

  #onClosed(channel: ClientChannel, error: Error | undefined): void {
    if (this.#channel !== channel) return;
    this.#channel = undefined;
    this.#replies.failAll(
      new ConnectionError("Connection to the controller lost before it replied", { cause: error }),
    );
    if (this.#closed) return;
    if (this.#shutDown !== undefined) {
      this.#giveUp(
        new ConnectionError(
          `The controller shut down: ${this.#shutDown}; start it again (\`ipx controller\` or ` +
            `\`ipx cluster start\`) and connect a new client`,
          { cause: error },
        ),
        false,
      );
      return;
    }
    this.#reconnecting = this.#reconnect(error);
  }

  async #reconnect(lostBy: Error | undefined): Promise<void> {
    let cause = lostBy;
    const until = Date.now() + (this.#o.reconnectForMs ?? 30_000);
    let backoff = 100;
    let refusedSince = 0;
    while (!this.#closed && Date.now() < until) {
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 2000);
      try {
        await this.#connectOnce();
      } catch (error) {
        // the controller is back but refuses this client (another key, version or transport):
        // waiting cannot help once that lasted longer than a rewrite of its file takes
        if (!isPermanentConnectError(error)) {
          refusedSince = 0;
          continue;
        }
        refusedSince ||= Date.now();
        if (Date.now() - refusedSince < REFUSED_GRACE_MS) continue;
        cause = error as Error;
        break;
      }
      this.#reconnecting = undefined;
      const fresh = this.#unsent.splice(0).filter((t) => this.#tasks.has(t.msgId));
      if (fresh.length) this.#send(fresh);
      const sentNow = new Set(fresh.map((t) => t.msgId));
      const open = this.outstanding.filter((id) => !sentNow.has(id));
      if (open.length) {
        this.#resendStops();
        // tasks the controller no longer knows (e.g. it restarted) must fail, not hang
        let answers: ResultAnswer[];
        try {
          answers = await this.follow(open);
        } catch {
          return; // the link dropped again: the next reconnect asks again
        }
        for (const a of answers) {
          const mended = "missing" in a
            ? this.#recover(a.msgId, undefined)
            : "ok" in a && !a.ok && a.error !== undefined && this.#recover(a.msgId, a.error);
          if (mended) {
            continue; // lost before it ran, or retriable: submitted again under its id
          } else if ("missing" in a) {
            this.#finish(
              lostWhileDownResult(a.msgId, this.#tasks.get(a.msgId)?.engineId ?? -1, a.missing),
            );
          } else if ("ok" in a) this.#finish(a);
        }
      }
      return;
    }
    if (this.#closed) return;
    this.#giveUp(
      refusedSince ? refusedError(cause!) : new ConnectionError(
        `Lost the controller and could not reconnect within ${
          this.#o.reconnectForMs ?? 30_000
        } ms` + (cause ? ` (${cause.message})` : ""),
        { cause },
      ),
      refusedSince > 0,
    );
  }

  /**
   * Ends the session for good: every later call throws `fatal`, and every open task fails with
   * a result built from it (see `link_lost.ts`).
   *
   * @param fatal What happened.
   * @param refused The controller is back but refuses this client.
   */
  #giveUp(fatal: Error, refused: boolean): void {
    this.#fatal = fatal;
    // tasks submitted while the link was down never left this client
    const unsent = new Set(this.#unsent.splice(0).map((t) => t.msgId));
    const lost = fatal.message.replace(/\.$/, "");
    for (const id of this.outstanding) {
      const engineId = this.#tasks.get(id)?.engineId ?? -1;
      this.#finish(
        linkLostResult(id, engineId, lost, unsent.has(id), refused ? fatal : undefined),
      );
    }
  }

  async #ready(): Promise<ClientChannel> {
    if (this.#closed) throw new ConnectionError("Client is closed");
    if (this.#fatal) throw this.#fatal;
    if (!this.#channel && this.#reconnecting) await this.#reconnecting;
    if (!this.#channel) {
      throw this.#fatal ?? new ConnectionError("Not connected to the controller");
    }
    return this.#channel;
  }

  /**
   * Submits tasks; returns their handles (in the same order) at once.
   *
   * @param specs The tasks.
   */
  submit(specs: TaskSpec[]): TaskHandle[] {
    if (this.#closed) throw new ConnectionError("Cannot submit: the client is closed");
    if (this.#fatal) throw this.#fatal;
    const tasks: SubmitTask[] = [];
    const handles = specs.map((spec) => {
      const msgId = `${this.#prefix}-${++this.#counter}`;
      const handle = new TaskHandle(msgId, spec.engineId ?? -1);
      this.#tasks.set(msgId, handle);
      const task = { ...spec, msgId };
      this.#resubmit.submitted(task);
      tasks.push(task);
      return handle;
    });
    this.#send(tasks);
    return handles;
  }

  /**
   * Sends tasks in `submit` messages that fit the controller's frame limit; a task too big for
   * any fails at once (see `submit_size.ts`). Disconnected, they wait for the reconnect.
   */
  #send(tasks: SubmitTask[]): void {
    const ch = this.#channel;
    if (!ch || ch.isClosed) {
      this.#unsent.push(...tasks); // sent first thing after the reconnect
      return;
    }
    const limit = ch.sendLimit; // the controller's, as its handshake announced
    const { messages, tooLarge } = sizeTasks(tasks, limit);
    for (const group of messages) ch.send({ type: "submit", tasks: group });
    if (tooLarge.length === 0) return;
    queueMicrotask(() => {
      for (const { task, bytes } of tooLarge) {
        this.#finish(tooLargeResult(task, bytes, limit));
      }
    });
  }

  /**
   * Tracks existing task ids (e.g. fetched by id) without submitting.
   *
   * @param msgIds Ids to track.
   */
  track(msgIds: MsgId[]): TaskHandle[] {
    return msgIds.map((id) => {
      const existing = this.#tasks.get(id);
      if (existing) return existing;
      const h = new TaskHandle(id, -1, true);
      this.#tasks.set(id, h);
      return h;
    });
  }

  /**
   * Follows tasks (also ones submitted by other clients or before a reconnect): their results
   * will reach this session. Returns what the controller knows of each now.
   *
   * @param msgIds Task ids.
   */
  async follow(msgIds: MsgId[]): Promise<ResultAnswer[]> {
    const ch = await this.#ready();
    // follow first, then ask: a task finishing in between still reaches this client
    ch.send({ type: "resume", msgIds });
    return await this.#results(msgIds);
  }

  /** The controller's answers for tasks, asked for in halves while the answer is too large. */
  async #results(msgIds: MsgId[]): Promise<ResultAnswer[]> {
    try {
      return await this.query({ kind: "get_results", msgIds }) as ResultAnswer[];
    } catch (error) {
      if (!(error instanceof MessageTooLargeError) || msgIds.length < 2) throw error;
      const half = msgIds.length >> 1;
      const first = await this.#results(msgIds.slice(0, half));
      return [...first, ...await this.#results(msgIds.slice(half))];
    }
  }

  /**
   * Delivers a result obtained out of band (e.g. from a query).
   *
   * @param result The result.
   */
  deliver(result: TaskResult): void {
    this.#finish(result);
  }

  /**
   * Asks the controller something and waits for the reply.
   *
   * @param query The question.
   * @param timeoutMs Bound. @default 30000
   */
  async query(query: Query, timeoutMs = 30_000): Promise<unknown> {
    const ch = await this.#ready();
    return await this.#replies.ask(
      (reqId) => ch.send({ type: "query", reqId, query }),
      query?.kind, // a malformed query (null) is the controller's to refuse
      timeoutMs,
    );
  }

  /**
   * Sends a raw message when connected (dropped otherwise).
   *
   * @param msg The message.
   */
  send(msg: ClientToController): void {
    this.#channel?.send(msg);
  }

  /**
   * Stops running tasks (sent again after a reconnect until they finish).
   *
   * @param msgIds Which.
   */
  interrupt(msgIds: MsgId[]): void {
    this.#stop("interrupt", msgIds);
  }

  /**
   * Aborts tasks: queued ones fail with TaskAborted, running ones are stopped (sent again
   * after a reconnect until they finish).
   *
   * @param msgIds Which.
   */
  abort(msgIds: MsgId[]): void {
    this.#stop("abort", msgIds);
  }

  #stop(kind: "abort" | "interrupt", msgIds: MsgId[]): void {
    const open = msgIds.filter((id) => this.#tasks.has(id));
    for (const id of open) if (this.#stops.get(id) !== "abort") this.#stops.set(id, kind);
    if (open.length) this.#channel?.send({ type: kind, msgIds: open });
  }

  #resendStops(): void {
    const byKind = { abort: [] as MsgId[], interrupt: [] as MsgId[] };
    for (const [id, kind] of this.#stops) byKind[kind].push(id);
    for (const kind of ["abort", "interrupt"] as const) {
      if (byKind[kind].length) this.#channel?.send({ type: kind, msgIds: byKind[kind] });
    }
  }

  /** Closes the link (outstanding tasks keep running on the engines). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const ch = this.#channel;
    this.#channel = undefined;
    if (ch) {
      await ch.flush().catch(() => {});
      ch.close();
      await ch.closed;
    }
    this.#replies.failAll(new ConnectionError("Client closed"));
    for (const id of this.outstanding) {
      this.#finish(closedResult(id, this.#tasks.get(id)?.engineId ?? -1));
    }
  }
}
