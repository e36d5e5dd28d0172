/**
 * Aggregates V8 `.cpuprofile` files (from `deno run --cpu-prof`): busy time, self time by
 * function and by file/area, and inclusive time of chosen functions.
 *
 * Run: `deno run --allow-read scripts/_bench/cpuprof.ts FILE.cpuprofile... [--top 25]
 * [--ops N] [--from US --to US] [--json]`. With `--ops`, times are also shown per operation
 * (µs/op); `--from`/`--to` keep only samples in that window (CLOCK_MONOTONIC µs).
 *
 * @module
 */

/** One node of a V8 CPU profile. */
interface ProfileNode {
  id: number;
  callFrame: {
    functionName: string;
    url: string;
    lineNumber: number;
    columnNumber: number;
  };
  children?: number[];
}

/** A V8 CPU profile as written by `--cpu-prof`. */
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A row of an aggregation. */
export interface Entry {
  /** Function (`name file:line`) or area. */
  key: string;
  /** Microseconds. */
  us: number;
}

/** The aggregated profile of one thread. */
export interface ProfileSummary {
  /** The file. */
  file: string;
  /** Wall time covered by the profile, µs. */
  wallUs: number;
  /** Sampled time not idle, µs (includes GC and native "(program)"). */
  busyUs: number;
  /** Idle, µs. */
  idleUs: number;
  /** Garbage collection, µs. */
  gcUs: number;
  /** Native code outside JS functions ("(program)"), µs. */
  programUs: number;
  /** Self time per function, descending. */
  functions: Entry[];
  /** Self time per area (file or package), descending. */
  areas: Entry[];
  /** Inclusive time of every function, descending. */
  inclusive: Entry[];
}

/**
 * Names the file or package a script URL belongs to.
 *
 * @param url The call frame's URL.
 * @returns A short area name, e.g. `lib/engine/worker.ts`, `npm:@msgpack/msgpack`, `ext:deno_node`.
 */
export function areaOf(url: string): string {
  if (!url) return "(native)";
  const npm = /registry\.npmjs\.org\/(@[^/]+\/[^/]+|[^/@][^/]*)\//.exec(url);
  if (npm) return `npm:${npm[1]}`;
  const lib = /\/((?:lib|cmd|scripts)\/.*)$/.exec(url);
  if (lib) return lib[1]!;
  const ext = /^ext:([^/]+)\/(.*)$/.exec(url);
  if (ext) return `ext:${ext[1]}/${ext[2]}`;
  const m = /([^/]+)$/.exec(url);
  return m ? m[1]! : url;
}

function frameKey(n: ProfileNode): string {
  const f = n.callFrame;
  const name = f.functionName || "(anonymous)";
  if (!f.url) return name;
  return `${name} ${areaOf(f.url)}:${f.lineNumber + 1}`;
}

function sorted(map: Map<string, number>): Entry[] {
  return [...map.entries()].map(([key, us]) => ({ key, us })).sort((a, b) => b.us - a.us);
}

/** A time window in the profile's clock (µs of CLOCK_MONOTONIC on Linux). */
export interface Window {
  /** Start, µs. */
  from: number;
  /** End, µs. */
  to: number;
}

/**
 * Aggregates one profile, optionally only the samples inside a time window.
 *
 * @param file Path of a `.cpuprofile`.
 * @param window Samples to keep (V8 timestamps are CLOCK_MONOTONIC µs on Linux).
 * @returns Totals and rankings.
 */
export async function summarizeProfile(file: string, window?: Window): Promise<ProfileSummary> {
  const p = JSON.parse(await Deno.readTextFile(file)) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  let program = 0;
  let total = 0;
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (window && (t < window.from || t > window.to)) continue;
    // the delta before sample i+1 is the time sample i stood for
    const dt = p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0;
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    total += dt;
    const name = node.callFrame.functionName;
    if (name === "(idle)") {
      idle += dt;
      continue;
    }
    if (name === "(garbage collector)") gc += dt;
    if (name === "(program)") program += dt;
    const key = frameKey(node);
    self.set(key, (self.get(key) ?? 0) + dt);
    const area = name.startsWith("(") ? name : areaOf(node.callFrame.url);
    areas.set(area, (areas.get(area) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = frameKey(byId.get(id)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  return {
    file,
    wallUs: window
      ? Math.min(window.to, p.endTime) - Math.max(window.from, p.startTime)
      : p.endTime - p.startTime,
    busyUs: total - idle,
    idleUs: idle,
    gcUs: gc,
    programUs: program,
    functions: sorted(self),
    areas: sorted(areas),
    inclusive: sorted(inclusive).filter((e) => e.key !== "(root)"),
  };
}

/**
 * Renders a summary as text.
 *
 * @param s The summary.
 * @param options `top`: rows per ranking; `ops`: operations the profile covers (adds µs/op);
 * `title`: heading.
 * @returns Lines of text.
 */
export function renderSummary(
  s: ProfileSummary,
  options: { top?: number; ops?: number; title?: string } = {},
): string {
  const top = options.top ?? 20;
  const ops = options.ops;
  const pct = (us: number) => `${(100 * us / Math.max(1, s.busyUs)).toFixed(1)}%`.padStart(6);
  const perOp = (us: number) => ops ? `${(us / ops).toFixed(1).padStart(8)} µs/op` : "";
  const lines: string[] = [];
  lines.push(`### ${options.title ?? s.file}`);
  lines.push(
    `wall ${(s.wallUs / 1e6).toFixed(2)} s, busy ${(s.busyUs / 1e6).toFixed(2)} s` +
      (ops ? ` (${(s.busyUs / ops).toFixed(1)} µs/op over ${ops} ops)` : "") +
      `, idle ${(s.idleUs / 1e6).toFixed(2)} s, GC ${pct(s.gcUs).trim()} of busy, ` +
      `native (program) ${pct(s.programUs).trim()} of busy`,
  );
  lines.push("self time by area (% of busy):");
  for (const e of s.areas.slice(0, top)) lines.push(`  ${pct(e.us)} ${perOp(e.us)}  ${e.key}`);
  lines.push("self time by function:");
  for (const e of s.functions.slice(0, top)) {
    lines.push(`  ${pct(e.us)} ${perOp(e.us)}  ${e.key}`);
  }
  lines.push("inclusive time (function and its callees):");
  for (const e of s.inclusive.slice(0, top)) {
    lines.push(`  ${pct(e.us)} ${perOp(e.us)}  ${e.key}`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const files: string[] = [];
  let top = 25;
  let ops: number | undefined;
  let json = false;
  let from: number | undefined;
  let to: number | undefined;
  for (let i = 0; i < Deno.args.length; i++) {
    const a = Deno.args[i]!;
    if (a === "--top") top = Number(Deno.args[++i]);
    else if (a === "--ops") ops = Number(Deno.args[++i]);
    else if (a === "--json") json = true;
    else if (a === "--from") from = Number(Deno.args[++i]);
    else if (a === "--to") to = Number(Deno.args[++i]);
    else files.push(a);
  }
  for (const f of files) {
    const window = from !== undefined || to !== undefined
      ? { from: from ?? 0, to: to ?? Number.MAX_SAFE_INTEGER }
      : undefined;
    const s = await summarizeProfile(f, window);
    if (json) console.log(JSON.stringify({ ...s, functions: s.functions.slice(0, top) }));
    else console.log(renderSummary(s, { top, ...(ops ? { ops } : {}) }) + "\n");
  }
}

if (import.meta.main) await main();
