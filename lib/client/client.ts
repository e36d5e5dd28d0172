/**
 * {@linkcode Client}: the entry point of the ipx library. Connects to a controller (from a
 * profile or a connection file) and makes views.
 *
 * @module
 */

import {
  type ConnectionFileError,
  type ConnectionInfo,
  readConnectionFile,
  waitForConnectionFile,
} from "../protocol/connection_file.ts";
import { dial } from "../protocol/dial.ts";
import { ConnectionError, TimeoutError } from "../protocol/errors.ts";
import type { DbFilter, EngineId, EngineInfo, MsgId } from "../protocol/messages.ts";
import { TlsError } from "../protocol/tls.ts";
import type { ByteConn } from "../protocol/transport.ts";
import { socketMatches } from "../protocol/unix_socket.ts";
import { IPX_VERSION, PROTOCOL_VERSION } from "../protocol/version.ts";
import { profilePaths } from "../profile/mod.ts";
import { AsyncResult } from "./async_result.ts";
import { DirectView, type Targets } from "./direct_view.ts";
import { type LoadBalancedOptions, LoadBalancedView } from "./load_balanced_view.ts";
import { profileWaitError } from "./profile_hint.ts";
import { type EngineEvent, Session } from "./session.ts";
import { failedHere } from "./failed_here.ts";

/** Options of {@linkcode Client.connect}. */
export interface ConnectOptions {
  /** Profile whose client connection file to use. @default "default" */
  profile?: string;
  /** Explicit path of a client connection file (wins over `profile`). */
  file?: string;
  /**
   * Bound on connecting, including waiting for the connection file to appear (a controller
   * that is starting writes it). @default 10000
   */
  timeoutMs?: number;
  /**
   * Called when the connection file is not there (or not usable) yet and connecting waits for
   * it, with the reason (e.g. to tell a user that the controller may not be started).
   */
  onWaiting?: (problem: string) => void;
  /** How long to keep reconnecting after the link drops. @default 30000 */
  reconnectForMs?: number;
  /**
   * Ignore the controller's local Unix socket and connect over TCP/TLS even on its machine.
   * @default false
   */
  noIpc?: boolean;
}

/** One engine's queue counts. */
export interface EngineQueueStatus {
  /** Direct tasks sent to it and not finished. */
  queue: number;
  /** Tasks it finished. */
  completed: number;
  /** Load-balanced tasks placed on it and not finished. */
  tasks: number;
}

/**
 * Per-engine queue counts, plus tasks not yet assigned. Each engine's counts are under its id
 * (`status[0].queue`, as ipyparallel's `queue_status()`), and also grouped in `engines`.
 */
export type QueueStatus = {
  /** Per engine id. */
  engines: Record<EngineId, EngineQueueStatus>;
  /** Load-balanced tasks waiting for an engine (queued, or waiting on dependencies). */
  unassigned: number;
} & { [engineId: number]: EngineQueueStatus };

/** Least time given to each step of a first connect, however little of its bound is left. */
const MIN_STEP_MS = 250;

/**
 * A connection to an ipx cluster.
 *
 * @example
 * ```ts ignore
 * await using client = await Client.connect({ profile: "default" });
 * await client.waitForEngines(2);
 * const dv = client.directView();
 * console.log(await dv.apply(() => 1)); // [1, 1]
 * ```
 */
export class Client {
  #session: Session;
  #info: ConnectionInfo;
  #source: string;

  private constructor(session: Session, info: ConnectionInfo, source: string) {
    this.#session = session;
    this.#info = info;
    this.#source = source;
  }

  /**
   * Connects to a controller.
   *
   * @param options Profile or file, and timeouts.
   */
  static async connect(options: ConnectOptions = {}): Promise<Client> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    // one bound for the whole first connect: waiting for the file, dialing, the handshake
    const deadline = performance.now() + timeoutMs;
    const left = () => Math.max(MIN_STEP_MS, Math.round(deadline - performance.now()));
    let first = true;
    const profile = options.profile ?? "default";
    const source = options.file ?? profilePaths(profile).clientFile;
    const info = options.file
      ? await readConnectionFile(source)
      : await waitForConnectionFile(source, {
        timeoutMs,
        ...(options.onWaiting
          ? { onWaiting: (p: ConnectionFileError) => options.onWaiting!(p.message) }
          : {}),
      }).catch(async (error) => {
        throw await profileWaitError(error, profile, timeoutMs);
      });
    let current = info;
    const session = new Session({
      // re-read the file on reconnects: a restarted controller may have rewritten it
      connect: async () => {
        current = await readConnectionFile(source).catch(() => current);
        const target = current;
        return dial(target, {
          timeoutMs: first ? left() : timeoutMs,
          source,
          ...(options.noIpc ? { noIpc: true } : {}),
        }).catch(async (error) => {
          throw options.noIpc ? error : await withSkippedSocket(error, target);
        });
      },
      // the key of the file as last read: a controller restarted with a new key rewrites its
      // file (mode 0600, the user's own), and the client follows it as engines do
      get key() {
        return current.key;
      },
      keySource: source,
      timeoutMs,
      ...(options.reconnectForMs !== undefined ? { reconnectForMs: options.reconnectForMs } : {}),
    });
    await session.open(left());
    first = false;
    return new Client(session, info, source);
  }

  /**
   * Connects through a custom byte-stream opener (in-memory transports, tunnels, tests).
   *
   * @param options How to open a connection, the key, and a name for messages.
   */
  static async connectWith(options: {
    connect: () => Promise<ByteConn>;
    key: string;
    keySource?: string;
    timeoutMs?: number;
    reconnectForMs?: number;
  }): Promise<Client> {
    const source = options.keySource ?? "the provided key";
    const session = new Session({
      connect: options.connect,
      key: options.key,
      keySource: source,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.reconnectForMs !== undefined ? { reconnectForMs: options.reconnectForMs } : {}),
    });
    await session.open();
    const info: ConnectionInfo = {
      role: "client",
      ipxVersion: IPX_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      transport: "tcp",
      host: "",
      port: 0,
      addresses: [],
      location: "",
      key: options.key,
      profile: "",
      controllerPid: 0,
      createdAt: new Date().toISOString(),
    };
    return new Client(session, info, source);
  }

  /** The connection file this client used. */
  get connectionFile(): string {
    return this.#source;
  }

  /** The connection details. */
  get connectionInfo(): Readonly<ConnectionInfo> {
    return this.#info;
  }

  /** Ids of registered engines, ascending (a copy). */
  get ids(): EngineId[] {
    return this.#session.engines.map((e) => e.id);
  }

  /** What the client knows of each engine (host, pid, data dir, state, queue). */
  get engines(): EngineInfo[] {
    return this.#session.engines;
  }

  /** Task ids submitted by this client and not finished. */
  get outstanding(): MsgId[] {
    return this.#session.outstanding;
  }

  /**
   * Subscribes to engines registering and unregistering.
   *
   * @param listener Called per event.
   * @returns Unsubscribe.
   */
  onEngine(listener: (event: EngineEvent) => void): () => void {
    return this.#session.onEngine(listener);
  }

  /**
   * Waits until at least `n` engines are registered.
   *
   * @param n Engine count.
   * @param options Bound. @default timeoutMs 60000
   */
  async waitForEngines(n: number, options: { timeoutMs?: number } = {}): Promise<EngineId[]> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    if (this.ids.length >= n) return this.ids;
    const done = Promise.withResolvers<void>();
    const off = this.#session.onEngine(() => {
      if (this.ids.length >= n) done.resolve();
    });
    const timer = setTimeout(() => {
      // engines use the engine file the controller writes beside the client file
      const missing = n - this.ids.length;
      const start = this.#source.endsWith("ipx-client.json")
        ? `\`ipx engine --n ${missing} --file ` +
          `${this.#source.slice(0, -"ipx-client.json".length)}ipx-engine.json\``
        : `\`ipx engine --n ${missing}\` with the engine file of the controller that wrote ` +
          this.#source;
      done.reject(
        new TimeoutError(
          `Only ${this.ids.length} of ${n} engines registered within ${timeoutMs} ms; ` +
            `${missing === 1 ? "is the missing engine" : `are the ${missing} missing engines`} ` +
            `running (${start})? ` +
            `See the engines' log for connection errors`,
        ),
      );
    }, timeoutMs);
    try {
      await done.promise;
      return this.ids;
    } finally {
      off();
      clearTimeout(timer);
    }
  }

  /**
   * A view that runs each call on every target.
   *
   * @param targets `"all"` (the engines at call time), an id, or a list of ids.
   */
  directView(targets: Targets = "all"): DirectView {
    return new DirectView(this.#session, targets);
  }

  /**
   * A view whose tasks the controller places by load.
   *
   * @param options Targets, scheme, retries, timeout, dependencies.
   */
  loadBalancedView(options: LoadBalancedOptions = {}): LoadBalancedView {
    return new LoadBalancedView(this.#session, options);
  }

  /** Per-engine queue counts and unassigned tasks. */
  async queueStatus(): Promise<QueueStatus> {
    const raw = await this.#session.query({ kind: "queue_status" }) as Record<string, unknown>;
    const engines: Record<EngineId, EngineQueueStatus> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (k !== "unassigned") engines[Number(k)] = v as EngineQueueStatus;
    }
    return { ...engines, engines, unassigned: raw.unassigned as number };
  }

  /**
   * The result of any task by id, including tasks submitted by other clients or before a
   * controller restart (while the controller keeps its record).
   *
   * @param msgIds One id or several.
   */
  getResult(msgIds: MsgId | MsgId[]): AsyncResult<unknown[]> {
    const list = typeof msgIds === "string" ? [msgIds] : [...msgIds];
    const handles = this.#session.track(list);
    const fail = (msgId: MsgId, ename: string, evalue: string) =>
      this.#session.deliver(failedHere(msgId, -1, ename, evalue));
    this.#session.follow(list).then((answers) => {
      for (const a of answers) {
        if ("ok" in a) this.#session.deliver(a);
        else if ("missing" in a) {
          fail(a.msgId, "KeyError", `no result for ${a.msgId}: ${a.missing}`);
        }
      }
    }, (error: Error) => {
      for (const id of list) fail(id, error.name, `cannot fetch ${id}: ${error.message}`);
    });
    return new AsyncResult(this.#session, handles, (v) => v, "getResult");
  }

  /**
   * Queries task records, e.g. `{ completed: { $gt: t } }`; `msgId` is always returned.
   *
   * @param filter Field conditions (`$in $nin $eq $ne $gt $gte $lt $lte`).
   * @param keys Fields to return.
   */
  dbQuery(filter: DbFilter, keys?: string[]): Promise<Record<string, unknown>[]> {
    return this.#session.query({ kind: "db_query", filter, ...(keys ? { keys } : {}) }) as Promise<
      Record<string, unknown>[]
    >;
  }

  /** Every task id the controller holds, in submission order. */
  history(): Promise<MsgId[]> {
    return this.#session.query({ kind: "history" }) as Promise<MsgId[]>;
  }

  /**
   * Drops finished task records from the controller.
   *
   * @param which `"all"` or a list of ids.
   * @returns How many records were removed.
   */
  purgeResults(which: "all" | MsgId[]): Promise<number> {
    if (which !== "all" && !(Array.isArray(which) && which.every((id) => typeof id === "string"))) {
      return Promise.reject(
        new TypeError(
          `purgeResults() takes "all" or a list of task ids (msgIds, e.g. from ` +
            `dbQuery({ completed: { $lt: date } }, ["msgId"])), got ${
              Array.isArray(which)
                ? "a list holding something else"
                : which === null || typeof which !== "object"
                ? String(which)
                : `an object with ${Object.keys(which).join(", ") || "no keys"}`
            }`,
        ),
      );
    }
    return this.#session.query(
      which === "all" ? { kind: "purge", all: true } : { kind: "purge", msgIds: which },
    ) as Promise<number>;
  }

  /**
   * Stops engines, and with `controller: true` the controller too.
   *
   * @param options Which engines (all by default) and whether to stop the controller.
   */
  async shutdown(options: { targets?: EngineId[]; controller?: boolean } = {}): Promise<void> {
    await this.#session.query({
      kind: "shutdown",
      ...(options.targets ? { targets: options.targets } : {}),
      ...(options.controller ? { controller: true } : {}),
    });
  }

  /** Disconnects (engines keep running; outstanding results can be fetched later by id). */
  close(): Promise<void> {
    return this.#session.close();
  }

  /** Disconnects. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A failed network connect, told that the controller's local socket was never tried because
 * this program lacks a permission Deno needs to connect to a Unix socket (read and write on its
 * path, and net): the user may be on the controller's machine, where the socket would have
 * worked whatever the file's address. Other errors, and failures where no permission was
 * missing or the socket is seen not to exist here, come back unchanged.
 */
async function withSkippedSocket(
  error: unknown,
  info: Pick<ConnectionInfo, "transport" | "host" | "port" | "tlsCaPem" | "key" | "ipcPath">,
): Promise<unknown> {
  const path = info.ipcPath;
  if (!(error instanceof ConnectionError) || !path || !await socketMatches(info)) return error;
  const granted = (d: Deno.PermissionDescriptor) => {
    try {
      return Deno.permissions.querySync(d).state === "granted";
    } catch {
      return false;
    }
  };
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  const canRead = granted({ name: "read", path });
  const missing = [
    ...(canRead ? [] : [`--allow-read=${dir}`]),
    ...(granted({ name: "write", path }) ? [] : [`--allow-write=${dir}`]),
    ...(granted({ name: "net", host: `unix:${path}` }) ? [] : ["--allow-net"]),
  ];
  if (missing.length === 0) return error;
  let here = false;
  if (canRead) {
    try {
      here = Deno.lstatSync(path).isSocket === true;
    } catch {
      // not on this machine: the socket could not have helped
    }
    if (!here) return error;
  }
  const flags = missing.join(" ");
  const end = /[.?!]$/.test(error.message) ? " " : ". ";
  const message = `${error.message}${end}The controller's local socket ${path} was not tried: ` +
    `Deno connects to a Unix socket only with ${flags}, which this program lacks` +
    (here
      ? `; the socket is on this machine, so add ${flags} to this program's \`deno run\``
      : `; if the controller runs on this machine, add ${flags} to this program's \`deno run\``);
  const options = { cause: error.cause, ...(error.address ? { address: error.address } : {}) };
  return error instanceof TlsError
    ? new TlsError(message, { ...options, reason: error.reason })
    : new ConnectionError(message, options);
}
