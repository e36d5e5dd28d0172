/**
 * Builds a self-contained `dist/ipx` executable with `deno compile`, with the same permissions
 * and unstable flags as `./ipx` baked in, and every worker module included (workers are
 * loaded by URL, so the module graph alone does not find them).
 *
 * Usage: `deno task compile [--output PATH] [--target TRIPLE]`
 *
 * `deno compile` needs "denort", the runtime half of the executable, of the same version as the
 * running deno. It downloads it from dl.deno.land unless the environment variable `DENORT_BIN`
 * names a local copy; that variable is passed through untouched. When the download fails this
 * script says so and how to set `DENORT_BIN`.
 *
 * @module
 */

import { join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { findImports } from "./_import_scan.ts";
import { SEMI_SPACE_MB } from "../lib/engine/supervisor.ts";

/** The permissions and flags `./ipx` runs with (no FFI); keep in sync with the `ipx` script. */
export const IPX_RUN_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-write",
  "--allow-net",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
  "--unstable-worker-options",
  "--no-prompt",
  // young-generation cap, as for engines: a controller held ~190 MB after 100,000 small
  // tasks with V8's default and ~150 MB with it
  `--v8-flags=--max-semi-space-size=${SEMI_SPACE_MB}`,
];

/** Options for {@linkcode compileArgs}. */
export interface CompileArgsOptions {
  /**
   * Where the executable goes, relative to the root or absolute.
   * @default {"dist/ipx"}
   */
  output?: string;
  /** A `deno compile --target` triple, for cross-compiling. */
  target?: string;
}

/**
 * Finds the worker modules under `lib` (the engine's code Worker, the controller's result
 * writer): files named `*worker*.ts` (not tests) and every module started with
 * `new Worker(new URL("…", import.meta.url))` there.
 *
 * @param root The repository root.
 * @returns Root-relative paths with `/` separators, sorted, without duplicates.
 */
export async function findWorkerModules(root: string): Promise<string[]> {
  const found = new Set<string>();
  async function walk(dir: string): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) {
        await walk(path);
        continue;
      }
      if (!entry.isFile || !/\.(ts|js)$/.test(entry.name) || /_test\.ts$/.test(entry.name)) {
        continue;
      }
      if (entry.name.includes("worker")) found.add(toRel(root, path));
      for (const ref of findImports(await Deno.readTextFile(path))) {
        if (ref.kind !== "worker") continue;
        const target = fileURLToPath(new URL(ref.specifier, pathToFileURL(path)));
        found.add(toRel(root, target));
      }
    }
  }
  await walk(join(root, "lib"));
  return [...found].sort();
}

/**
 * The `deno compile` arguments for ipx.
 *
 * @param root The repository root.
 * @param options Output path and target.
 * @returns Arguments to pass after the deno executable.
 */
export async function compileArgs(
  root: string,
  options: CompileArgsOptions = {},
): Promise<string[]> {
  const args = ["compile", "--config", join(root, "deno.json"), ...IPX_RUN_FLAGS];
  for (const module of await findWorkerModules(root)) args.push("--include", join(root, module));
  if (options.target) args.push("--target", options.target);
  args.push(
    "--output",
    resolve(root, options.output ?? join("dist", "ipx")),
    join(root, "main.ts"),
  );
  return args;
}

/**
 * Tells whether `deno compile`'s error output is about fetching denort.
 *
 * @param stderr What `deno compile` printed to stderr.
 * @returns True when the failure is the denort download (or a bad `DENORT_BIN`).
 */
export function isDenortFailure(stderr: string): boolean {
  return /denort|dl\.deno\.land|error sending request|dns error/i.test(stderr);
}

function toRel(root: string, path: string): string {
  return relative(root, path).split(sep).join("/");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { output: { type: "string" }, target: { type: "string" } },
  });
  const root = fileURLToPath(new URL("..", import.meta.url));
  const args = await compileArgs(root, values);
  const includes = args.filter((_, i) => args[i - 1] === "--include");
  console.error(`compile: worker modules included: ${includes.map((p) => toRel(root, p))}`);
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) console.error(`compile: using DENORT_BIN=${denort}`);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let stderr = "";
  for await (const chunk of child.stderr) {
    stderr += decoder.decode(chunk, { stream: true });
    await Deno.stderr.write(chunk);
  }
  const { code } = await child.status;
  if (code === 0) return 0;
  if (isDenortFailure(stderr)) {
    const version = Deno.version.deno;
    console.error(
      denort
        ? `compile: deno compile could not use DENORT_BIN=${denort}; point DENORT_BIN at a ` +
          `denort ${version} binary (unzipped denort-<target>.zip from the deno ${version} release)`
        : `compile: deno compile could not download the denort ${version} runtime (no network ` +
          `access to dl.deno.land?); set DENORT_BIN to a denort binary of the same version ` +
          `(${version}), e.g. DENORT_BIN=/path/to/denort deno task compile`,
    );
  }
  return code;
}

if (import.meta.main) Deno.exit(await main());
