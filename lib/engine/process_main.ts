/**
 * Entry point of one engine process (started by `ipx engine`, with narrow Deno permissions).
 * Prints one machine-readable line per registration on stdout: `ipx-engine registered <id>`.
 * Exit codes: 0 stopped, 3 cannot authenticate (wrong key or certificate pin, also when a
 * restarted controller refuses the key the engine registered with) or a version or TLS/plain-TCP
 * mismatch, 4 bad configuration, 5 its connection file was rewritten with a new key or an address
 * it has no permission to reach (its supervisor replaces it). Anything but 0 is a failure its supervisor reports.
 *
 * @module
 */

import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { readConnectionFile } from "../protocol/connection_file.ts";
import { dial } from "../protocol/dial.ts";
import { AuthenticationError, isPermanentConnectError } from "../protocol/errors.ts";
import { Engine } from "./engine.ts";
import { Executor } from "./executor.ts";
import { stripper } from "./stripper.ts";
import { assertCanFollow, ConnectionFileChangedError, EXIT_FILE_CHANGED } from "./file_follow.ts";

function list(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(",").filter(Boolean);
}

function flag(v: string | boolean | undefined): boolean | string[] | undefined {
  if (v === undefined) return undefined;
  if (v === true || v === "") return true;
  return list(v as string);
}

/** Runs an engine process until it is stopped; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      file: { type: "string" },
      "data-dir": { type: "string" },
      "allow-read": { type: "string" },
      "allow-write": { type: "string" },
      "allow-net": { type: "string" },
      "allow-env": { type: "string" },
      "parent-pipe": { type: "boolean" },
    },
  });
  if (!values.file || !values["data-dir"]) {
    console.error("ipx engine process: --file and --data-dir are required");
    return 4;
  }
  const info = await readConnectionFile(values.file);
  const dataDir = values["data-dir"];
  let executor: Executor;
  try {
    const allowRead = list(values["allow-read"]);
    const allowWrite = list(values["allow-write"]);
    const allowNet = flag(values["allow-net"]);
    const allowEnv = flag(values["allow-env"]);
    executor = await Executor.create({
      dataDir,
      ...(allowRead ? { allowRead } : {}),
      ...(allowWrite ? { allowWrite } : {}),
      ...(allowNet !== undefined ? { allowNet } : {}),
      ...(allowEnv !== undefined ? { allowEnv } : {}),
    });
  } catch (error) {
    console.error(`ipx engine: cannot start the sandbox: ${(error as Error).message}`);
    return 4;
  }
  // Executor.create started loading the TypeScript stripper while the code Worker booted; both
  // finish before registering: a registered engine's thread must stay free to answer heartbeats.
  await stripper.load();
  if (stripper.failure !== undefined) {
    console.error(
      `ipx engine: cannot load the TypeScript stripper (${stripper.failure.message}); ` +
        `check that ipx's files are complete (lib/evaluate/vendor/sucrase.js) and readable`,
    );
    await executor.close();
    return 4;
  }
  const file = values.file;
  const engine = new Engine({
    // re-read the file on every attempt: a restarted controller may have rewritten it
    // (a file this process cannot follow, with a new key or an address outside its
    // permissions, stops it with exit code 5: its supervisor starts one that can)
    connect: async () =>
      dial(assertCanFollow(info, await readConnectionFile(file).catch(() => info), file), {
        source: file,
      }),
    key: info.key,
    keySource: values.file,
    executor,
    dataDir,
    host: hostname(),
    log: (m) => console.error(`ipx ${m}`),
    onRegistered: (id) => console.log(`ipx-engine registered ${id}`),
  });
  const onTerm = () => void engine.stop("SIGTERM");
  const onInt = () => void engine.stop("SIGINT");
  Deno.addSignalListener("SIGTERM", onTerm);
  Deno.addSignalListener("SIGINT", onInt);
  if (values["parent-pipe"]) void stopWhenParentGone(engine);
  let registered = false;
  try {
    await engine.start();
    registered = true;
    await engine.done;
    return 0;
  } catch (error) {
    console.error(
      `ipx engine: ${
        registered && error instanceof AuthenticationError
          ? keyChangedMessage(engine.id, values.file)
          : (error as Error).message
      }`,
    );
    await engine.stop(`failed: ${(error as Error).message}`);
    if (error instanceof ConnectionFileChangedError) return EXIT_FILE_CHANGED;
    return isPermanentConnectError(error) ? 3 : 1;
  } finally {
    Deno.removeSignalListener("SIGTERM", onTerm);
    Deno.removeSignalListener("SIGINT", onInt);
  }
}

/**
 * What to say when the controller an engine reconnected to holds another key than the one the
 * engine registered with (the handshake's own message would say to copy the file afresh, which
 * a running engine cannot act on: it reads the key once).
 *
 * @param id The engine's id.
 * @param file Its connection file.
 * @returns What happened and what to do.
 */
function keyChangedMessage(id: number | undefined, file: string): string {
  return `engine ${id ?? "(unregistered)"} reconnected, but the controller's key is no longer ` +
    `the one this engine started with (the controller was restarted with a new key); restart ` +
    `the engines so that they read the new key from ${file} (where that file was copied from ` +
    `the controller's host, copy its new ipx-engine.json there first; \`ipx controller\` ` +
    `prints its path)`;
}

/**
 * Stops the engine when its stdin reaches its end: the supervisor holds the other end of that
 * pipe and never writes to it, so the end comes when the supervisor process is gone (however it
 * ended).
 */
async function stopWhenParentGone(engine: Engine): Promise<void> {
  const buf = new Uint8Array(64);
  try {
    while ((await Deno.stdin.read(buf)) !== null) { /* nothing is sent */ }
  } catch (error) {
    // not the end of the pipe: the supervisor cannot be watched, which is no reason to stop
    console.error(`ipx engine: cannot watch its supervisor's pipe: ${(error as Error).message}`);
    return;
  }
  try {
    console.error("ipx engine: its supervisor is gone (its pipe closed); stopping");
  } catch { /* its stderr went with it */ }
  await engine.stop("its supervisor is gone");
}

if (import.meta.main) Deno.exit(await main(Deno.args));
