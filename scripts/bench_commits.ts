/**
 * Compares commits side by side (not a test): checks each one out in a temporary worktree,
 * starts one local cluster per commit (2 engines, `ipx cluster start --daemon`), and measures
 * them in turns, round after round, so that the drift of a shared machine hits all of them
 * alike. Prints each round and the medians: apply round trip (w1), load-balanced apply burst
 * (w2) and execute on all engines (w3), each with that commit's own client library; with
 * `--bulk`, push and pull of 16 MiB per engine (w4, MB/s: the median of nine cycles after a
 * warm-up one, so a round's cold first cycle does not weigh on it) instead; with `--sg`, scatter
 * + gather of 1,000,000 numbers as a list and as a Float64Array (w5, median ms of nine);
 * with `--start`, no standing clusters but one foreground `ipx cluster start --n 4` per commit and
 * round, each in a fresh profile, timed from its spawn to its "cluster ready" line (w6; a dozen
 * rounds or more: one start is one sample). Each round takes the commits in the opposite order of
 * the round before (whichever runs second in a pair can read a few per cent slower). The clients
 * run with ipx's allocator setting (`lib/engine/allocator_env.ts`), as the bench's does, unless
 * the environment sets one.
 *
 * ```text
 * deno run -A scripts/bench_commits.ts [--rounds 6] [--bulk | --sg | --start] COMMIT... (HEAD for the working tree)
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { allocatorEnv } from "../lib/engine/allocator_env.ts";
import { byName } from "../lib/engine/engine_launch.ts";
import { watchFor } from "./_bench/ipx_cluster.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

/** Measures one cluster; run with the config of the checkout whose `mod.ts` it imports. */
const CLIENT = `
const [root, profile, mode] = Deno.args;
const { Client } = await import(root + "/mod.ts");
const client = await Client.connect({ profile });
await client.waitForEngines(2);
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
if (mode === "bulk") {
  const dv = client.directView();
  const size = 16 << 20;
  const buf = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(buf.subarray(i, i + 65536));
  await dv.push({ buf });
  await dv.pull("buf");
  const push = [];
  const pull = [];
  const mb = (ms) => 2 * size / (ms / 1000) / 1e6;
  for (let k = 0; k < 9; k++) {
    const t0 = performance.now();
    await dv.push({ buf });
    const t1 = performance.now();
    const back = await dv.pull("buf");
    pull.push(mb(performance.now() - t1));
    push.push(mb(t1 - t0));
    if (!back.every((b) => b.length === size)) throw new Error("pull returned the wrong data");
  }
  console.log(JSON.stringify({ push: median(push), pull: median(pull) }));
  await client.close();
  Deno.exit(0);
}
if (mode === "sg") {
  const dv = client.directView();
  const n = 1_000_000;
  const times = { list: [], typed: [] };
  for (let k = 0; k < 10; k++) {
    for (const kind of ["list", "typed"]) {
      const data = kind === "list"
        ? Array.from({ length: n }, (_, i) => i)
        : Float64Array.from({ length: n }, (_, i) => i);
      const t0 = performance.now();
      await dv.scatter("x", data);
      const back = await dv.gather("x");
      if (k > 0) times[kind].push(performance.now() - t0);
      if (back.length !== n || back[n - 1] !== n - 1) throw new Error("gather returned the wrong data");
    }
  }
  console.log(JSON.stringify({ list: median(times.list), typed: median(times.typed) }));
  await client.close();
  Deno.exit(0);
}
const one = client.directView(client.ids[0]);
for (let i = 0; i < 100; i++) await one.apply(() => 1);
const rtts = [];
for (let i = 0; i < 500; i++) {
  const t = performance.now();
  await one.apply(() => 1);
  rtts.push(performance.now() - t);
}
const lv = client.loadBalancedView();
await Promise.all(Array.from({ length: 500 }, () => lv.apply(() => 1)));
let t = performance.now();
await Promise.all(Array.from({ length: 5000 }, () => lv.apply(() => 1)));
const rate = 5000 / ((performance.now() - t) / 1000);
const all = client.directView();
const ex = [];
for (let i = 0; i < 300; i++) {
  t = performance.now();
  await all.execute("1 + 1");
  ex.push(performance.now() - t);
}
console.log(JSON.stringify({ w1: median(rtts) * 1000, w2: rate, w3: median(ex) * 1000 }));
await client.close();
`;

/** One measurement: figure name → value. */
type Figures = Record<string, number>;

/** The figures of each mode: name, unit. */
const FIGURES: Record<"small" | "bulk" | "sg" | "start", [string, string][]> = {
  small: [["w1", "µs"], ["w2", "tasks/s"], ["w3", "µs"]],
  bulk: [["push", "MB/s"], ["pull", "MB/s"]],
  sg: [["list", "ms"], ["typed", "ms"]],
  start: [["ready", "ms"]],
};

/**
 * Times one foreground `ipx cluster start --n 4` in a fresh profile, to its "cluster ready" line,
 * then stops it (SIGTERM) and waits until it has exited with its engines.
 *
 * @param root The checkout whose `ipx` runs.
 * @param dir Its IPX_DIR.
 * @returns Milliseconds from spawn to the line.
 */
async function timeStart(root: string, dir: string): Promise<number> {
  await Deno.remove(`${dir}/profile_s`, { recursive: true }).catch(() => {});
  const t0 = performance.now();
  const child = new Deno.Command(`${root}/ipx`, {
    args: ["cluster", "start", "--n", "4", "--profile", "s"],
    env: { IPX_DIR: dir },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const { found, done } = watchFor(child.stdout, "cluster ready");
  const ready = await found;
  const ms = performance.now() - t0;
  if (ready) child.kill("SIGTERM");
  const [, , errors] = await Promise.all([done, child.status, stderr]);
  if (!ready) throw new Error(`${root}/ipx cluster start never got ready: ${errors.slice(-2000)}`);
  return ms;
}

function show(names: [string, string][], pick: (name: string) => number): string {
  return names.map(([n, unit]) => `${n} ${pick(n).toFixed(0).padStart(6)} ${unit}`).join("  ");
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      rounds: { type: "string", default: "6" },
      bulk: { type: "boolean", default: false },
      sg: { type: "boolean", default: false },
      start: { type: "boolean", default: false },
    },
  });
  const mode = values.bulk ? "bulk" : values.sg ? "sg" : values.start ? "start" : "small";
  const names = FIGURES[mode];
  if (positionals.length === 0) {
    console.error(
      "usage: deno run -A scripts/bench_commits.ts [--rounds N] [--bulk | --sg | --start] " +
        "COMMIT... " +
        "(HEAD = working tree)",
    );
    Deno.exit(2);
  }
  const tmp = await Deno.makeTempDir({ prefix: "ipx_commits_" });
  const client = `${tmp}/client.js`;
  await Deno.writeTextFile(client, CLIENT);
  const sides: { name: string; root: string; dir: string }[] = [];
  try {
    for (const [i, commit] of positionals.entries()) {
      let root = ROOT;
      if (commit !== "HEAD") {
        root = `${tmp}/wt${i}`;
        await run("git", ["-C", ROOT, "worktree", "add", "--detach", root, commit]);
        await Deno.symlink(`${ROOT}/.tools`, `${root}/.tools`);
      }
      const dir = `${tmp}/ipx${i}`;
      await Deno.mkdir(dir);
      if (mode !== "start") {
        await run(`${root}/ipx`, ["cluster", "start", "--n", "2", "--daemon", "--profile", "b"], {
          IPX_DIR: dir,
        });
      }
      sides.push({ name: commit, root, dir });
    }
    const got = new Map<string, Figures[]>(sides.map((s) => [s.name, []]));
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const s of round % 2 ? sides : [...sides].reverse()) {
        if (mode === "start") {
          const f: Figures = { ready: await timeStart(s.root, s.dir) };
          got.get(s.name)!.push(f);
          console.log(`round ${round}  ${s.name.padEnd(12)} ${show(names, (n) => f[n]!)}`);
          continue;
        }
        // the client's allocator as ipx's own processes and `deno task bench`'s client run
        // (by name: see shortArgv0 in lib/engine/engine_launch.ts)
        const spawn = byName(
          Deno.execPath(),
          ["run", "-A", "--config", `${s.root}/deno.json`, client, s.root, "b", mode],
          { ...Deno.env.toObject(), IPX_DIR: s.dir, ...allocatorEnv(Deno.env.toObject()) },
        );
        const line = await run(spawn.command, spawn.args, spawn.env);
        const f = JSON.parse(line.trim().split("\n").at(-1)!) as Figures;
        got.get(s.name)!.push(f);
        console.log(`round ${round}  ${s.name.padEnd(12)} ${show(names, (n) => f[n]!)}`);
      }
    }
    console.log("\nmedians:");
    for (const [name, fs] of got) {
      console.log(`  ${name.padEnd(12)} ${show(names, (n) => median(fs.map((f) => f[n]!)))}`);
    }
  } finally {
    for (const s of sides) {
      if (mode !== "start") {
        await run(`${s.root}/ipx`, ["cluster", "stop", "--profile", "b"], { IPX_DIR: s.dir })
          .catch((e) => console.error(String(e)));
      }
      if (s.root !== ROOT) {
        await run("git", ["-C", ROOT, "worktree", "remove", "--force", s.root]).catch(() => {});
      }
    }
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

await main();
