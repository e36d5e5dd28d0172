/**
 * Compares commits side by side (not a test): checks each one out in a temporary worktree,
 * starts one local cluster per commit (2 engines, `ipx cluster start --daemon`), and measures
 * them in turns, round after round, so that the drift of a shared machine hits all of them
 * alike. Prints each round and the medians: apply round trip (w1), load-balanced apply burst
 * (w2) and execute on all engines (w3), each with that commit's own client library.
 *
 * ```text
 * deno run -A scripts/bench_commits.ts [--rounds 6] COMMIT... (HEAD for the working tree)
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

/** Measures one cluster; run with the config of the checkout whose `mod.ts` it imports. */
const CLIENT = `
const [root, profile] = Deno.args;
const { Client } = await import(root + "/mod.ts");
const client = await Client.connect({ profile });
await client.waitForEngines(2);
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
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

interface Figures {
  w1: number;
  w2: number;
  w3: number;
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
    options: { rounds: { type: "string", default: "6" } },
  });
  if (positionals.length === 0) {
    console.error(
      "usage: deno run -A scripts/bench_commits.ts [--rounds N] COMMIT... (HEAD = working tree)",
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
      await run(`${root}/ipx`, ["cluster", "start", "--n", "2", "--daemon", "--profile", "b"], {
        IPX_DIR: dir,
      });
      sides.push({ name: commit, root, dir });
    }
    const got = new Map<string, Figures[]>(sides.map((s) => [s.name, []]));
    for (let round = 1; round <= Number(values.rounds); round++) {
      for (const s of sides) {
        const line = await run(
          Deno.execPath(),
          ["run", "-A", "--config", `${s.root}/deno.json`, client, s.root, "b"],
          { IPX_DIR: s.dir },
        );
        const f = JSON.parse(line.trim().split("\n").at(-1)!) as Figures;
        got.get(s.name)!.push(f);
        console.log(
          `round ${round}  ${s.name.padEnd(12)} w1 ${f.w1.toFixed(0).padStart(5)} µs  ` +
            `w2 ${f.w2.toFixed(0).padStart(6)} tasks/s  w3 ${f.w3.toFixed(0).padStart(5)} µs`,
        );
      }
    }
    console.log("\nmedians:");
    for (const [name, fs] of got) {
      console.log(
        `  ${name.padEnd(12)} w1 ${median(fs.map((f) => f.w1)).toFixed(0).padStart(5)} µs  ` +
          `w2 ${median(fs.map((f) => f.w2)).toFixed(0).padStart(6)} tasks/s  ` +
          `w3 ${median(fs.map((f) => f.w3)).toFixed(0).padStart(5)} µs`,
      );
    }
  } finally {
    for (const s of sides) {
      await run(`${s.root}/ipx`, ["cluster", "stop", "--profile", "b"], { IPX_DIR: s.dir })
        .catch((e) => console.error(String(e)));
      if (s.root !== ROOT) {
        await run("git", ["-C", ROOT, "worktree", "remove", "--force", s.root]).catch(() => {});
      }
    }
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

await main();
