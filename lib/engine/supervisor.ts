/**
 * The engine supervisor behind `ipx engine --n N`: starts N engine processes with the least
 * Deno permissions they need, relays their output, reports how each one ended, and with
 * `restart` replaces engines that die.
 *
 * @module
 */

import { fileURLToPath as fromFileUrl } from "node:url";
import type { ConnectionInfo } from "../protocol/connection_file.ts";

/** Options of {@linkcode Supervisor}. */
export interface SupervisorOptions {
  /** Engine connection file. */
  file: string;
  /** Its contents (for the controller address the engines may reach). */
  info: ConnectionInfo;
  /** How many engines. */
  n: number;
  /** Data directory of every engine (user code's cwd and only readable/writable place). */
  dataDir: string;
  /** Replace engines that die. @default false */
  restart?: boolean;
  /** Extra paths user code may read. */
  allowRead?: string[];
  /** Extra paths user code may write. */
  allowWrite?: string[];
  /** Network access for user code (`true` = any). */
  allowNet?: boolean | string[];
  /** Environment access for user code (`true` = all). */
  allowEnv?: boolean | string[];
  /** Output lines (already prefixed). */
  log: (line: string) => void;
  /** Called when an engine process registers. */
  onRegistered?: (engineId: number, pid: number) => void;
  /** Called when an engine process ends. */
  onExit?: (engineId: number | undefined, pid: number, how: string) => void;
}

interface Slot {
  child: Deno.ChildProcess;
  engineId: number | undefined;
}

const PROCESS_MAIN = fromFileUrl(new URL("./process_main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../../deno.json", import.meta.url));
const SOURCE_ROOT = fromFileUrl(new URL("../../", import.meta.url));

function denoDir(): string | undefined {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME");
  if (xdg) return `${xdg}/deno`;
  if (home) return `${home}/.cache/deno`;
  return undefined;
}

function describeExit(status: Deno.CommandStatus): string {
  if (status.signal) {
    const oom = status.signal === "SIGKILL"
      ? " (SIGKILL: killed by a user, a supervisor or the out-of-memory killer)"
      : "";
    return `killed by signal ${status.signal}${oom}`;
  }
  if (status.code === 3) {
    return "exit code 3 (could not authenticate or version mismatch: see above)";
  }
  if (status.code === 4) return "exit code 4 (bad engine configuration: see above)";
  return `exit code ${status.code}`;
}

/**
 * The Deno permission flags of an engine process: read its own source and the module cache,
 * read its connection file, read/write the data dir, reach only the controller.
 *
 * @param o Supervisor options.
 */
export function engineProcessFlags(o: SupervisorOptions): string[] {
  const read = [SOURCE_ROOT, o.file, o.dataDir, ...(o.allowRead ?? [])];
  const dd = denoDir();
  if (dd) read.push(dd);
  const write = [o.dataDir, ...(o.allowWrite ?? [])];
  const host = o.info.host.includes(":") && !o.info.host.startsWith("[")
    ? `[${o.info.host}]`
    : o.info.host;
  const net = [`${host}:${o.info.port}`];
  if (o.allowNet === true) net.length = 0;
  else if (Array.isArray(o.allowNet)) net.push(...o.allowNet);
  const flags = [
    `--allow-read=${read.join(",")}`,
    `--allow-write=${write.join(",")}`,
    o.allowNet === true ? "--allow-net" : `--allow-net=${net.join(",")}`,
    // a Worker can only be granted sys "inspector" (for its REPL-mode evaluator) by a parent
    // holding all of sys; user code in the Worker gets "inspector" only
    "--allow-sys",
    "--unstable-worker-options",
    "--no-prompt",
  ];
  if (o.allowEnv === true) flags.push("--allow-env");
  else if (Array.isArray(o.allowEnv) && o.allowEnv.length) {
    flags.push(`--allow-env=${o.allowEnv.join(",")}`);
  }
  return flags;
}

function engineArgs(o: SupervisorOptions): string[] {
  const args = ["--file", o.file, "--data-dir", o.dataDir];
  if (o.allowRead?.length) args.push("--allow-read", o.allowRead.join(","));
  if (o.allowWrite?.length) args.push("--allow-write", o.allowWrite.join(","));
  if (o.allowNet) args.push(`--allow-net=${o.allowNet === true ? "" : o.allowNet.join(",")}`);
  if (o.allowEnv) args.push(`--allow-env=${o.allowEnv === true ? "" : o.allowEnv.join(",")}`);
  return args;
}

async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  fn: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      fn(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  }
  if (buf) fn(buf);
}

/** Starts and watches engine processes. */
export class Supervisor {
  #o: SupervisorOptions;
  #slots = new Set<Slot>();
  #stopping = false;
  #allExited = Promise.withResolvers<void>();

  /** @param options What to start and how. */
  constructor(options: SupervisorOptions) {
    this.#o = options;
  }

  /** Pids of the running engine processes. */
  get pids(): number[] {
    return [...this.#slots].map((s) => s.child.pid);
  }

  /** Resolves when every engine process has ended and none will be restarted. */
  get done(): Promise<void> {
    return this.#allExited.promise;
  }

  /** Starts the N engine processes. */
  start(): void {
    for (let i = 0; i < this.#o.n; i++) this.#spawn();
  }

  #spawn(): void {
    const o = this.#o;
    const cmd = new Deno.Command(Deno.execPath(), {
      args: ["run", "--config", CONFIG, ...engineProcessFlags(o), PROCESS_MAIN, ...engineArgs(o)],
      cwd: o.dataDir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    });
    const child = cmd.spawn();
    const slot: Slot = { child, engineId: undefined };
    this.#slots.add(slot);
    const prefix = () =>
      slot.engineId !== undefined ? `[engine ${slot.engineId}]` : `[engine pid ${child.pid}]`;
    const out = forEachLine(child.stdout, (line) => {
      const m = /^ipx-engine registered (\d+)$/.exec(line);
      if (m) {
        slot.engineId = Number(m[1]);
        o.log(`engine ${slot.engineId} registered (pid ${child.pid})`);
        o.onRegistered?.(slot.engineId, child.pid);
      } else o.log(`${prefix()} ${line}`);
    });
    const err = forEachLine(child.stderr, (line) => o.log(`${prefix()} ${line}`));
    child.status.then(async (status) => {
      await Promise.allSettled([out, err]);
      this.#slots.delete(slot);
      const how = describeExit(status);
      if (!this.#stopping) {
        o.log(`engine ${slot.engineId ?? "(unregistered)"} (pid ${child.pid}) died: ${how}`);
      }
      o.onExit?.(slot.engineId, child.pid, how);
      if (o.restart && !this.#stopping && status.code !== 3 && status.code !== 4) {
        o.log(`starting a replacement engine`);
        this.#spawn();
      } else if (this.#slots.size === 0) this.#allExited.resolve();
    });
  }

  /**
   * Sends a signal to every engine process.
   *
   * @param signal The signal.
   */
  signal(signal: Deno.Signal): void {
    for (const s of this.#slots) {
      try {
        s.child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  /** Stops every engine (SIGTERM, then SIGKILL after `graceMs`) and waits for them. */
  async stop(graceMs = 3000): Promise<void> {
    this.#stopping = true;
    if (this.#slots.size === 0) {
      this.#allExited.resolve();
      return;
    }
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    await this.#allExited.promise;
    clearTimeout(timer);
  }

  /** Stops every engine. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
