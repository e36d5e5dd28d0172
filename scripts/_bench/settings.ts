/**
 * The bench's command line (`deno task bench …`) and the workload sizes it implies.
 *
 * @module
 */

/** Benchmark settings (from the command line). */
export interface Settings {
  /** `--help`: print {@linkcode USAGE} and run nothing. */
  help: boolean;
  /** `--quick`: a smoke run, with fewer repetitions and smaller workloads. */
  quick: boolean;
  /** `--json [PATH]`: also write results as JSON, to PATH or (`true`) stdout; off if undefined. */
  json: string | true | undefined;
  /** Compare with ipyparallel (off with `--no-ipp`). */
  ipp: boolean;
  /** Repetitions of the fast workloads (w1, w3, w4, w5, w7 apply, the floor); `--reps`. */
  reps: number;
  /** Repetitions of the slow workloads (w2, w6): `--reps` (default 3), at most 3 (1 when quick). */
  slowReps: number;
  /** Engines of the big cluster (w7); `--big`. */
  big: number;
  /** `--only`: the workloads to run (`w1`…`w8`, `floor`); all when undefined. */
  only: Set<string> | undefined;
  /** `--keep`: keep the temp dir the bench made (not `$IPX_BENCH_DIR`) instead of removing it. */
  keep: boolean;
  /** Apply round trips per w1 sample. */
  rttCalls: number;
  /** Executes on all engines per w3 sample. */
  execCalls: number;
  /** Load-balanced tasks per w2 sample. */
  lbTasks: number;
  /** MiB pushed to and pulled from each engine in w4. */
  mb: number;
  /** Numbers scattered and gathered in w5. */
  numbers: number;
  /** Applies on all engines of the big cluster per w7 sample. */
  bigCalls: number;
  /** Push+pull cycles per w4 sample (one cycle is ~0.1 s: too short to time alone here; 3 gave ±50% spreads). */
  bigTimes: number;
  /** Round trips per floor latency sample (raw TCP, `bench_floor.ts`). */
  floorCalls: number;
  /** Tasks per floor throughput sample (raw TCP, `bench_floor.ts`). */
  floorTasks: number;
}

/** The bench's usage line. */
export const USAGE =
  `usage: deno task bench [--quick] [--json [PATH]] [--no-ipp] [--reps N] [--big N]
                       [--only w1,w2,...,w8,floor] [--keep]`;

function count(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`${flag} needs a whole number of at least ${min}, not '${text}'\n${USAGE}`);
  }
  return n;
}

/**
 * Reads the bench's arguments.
 *
 * @param args The command-line arguments.
 * @returns The settings; throws an `Error` carrying {@linkcode USAGE} on a bad argument.
 */
export function parseSettings(args: string[]): Settings {
  let help = false;
  let quick = false;
  let json: string | true | undefined;
  let ipp = true;
  let reps: number | undefined;
  let big: number | undefined;
  let only: Set<string> | undefined;
  let keep = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const is = (flag: string) => a === flag || a.startsWith(`${flag}=`);
    if (a === "--quick") quick = true;
    else if (a === "--no-ipp") ipp = false;
    else if (a === "--keep") keep = true;
    else if (is("--json")) {
      if (a.includes("=")) json = value();
      else if (args[i + 1] !== undefined && !args[i + 1]!.startsWith("--")) json = args[++i]!;
      else json = true;
    } else if (is("--reps")) reps = count("--reps", value(), 1);
    else if (is("--big")) big = count("--big", value(), 1);
    else if (is("--only")) only = new Set(value().split(",").map((s) => s.trim()));
    else if (a === "--help" || a === "-h") help = true;
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return {
    help,
    quick,
    json,
    ipp,
    reps: reps ?? (quick ? 2 : 5),
    slowReps: Math.min(reps ?? 3, quick ? 1 : 3),
    big: big ?? (quick ? 8 : 64),
    only,
    keep,
    rttCalls: quick ? 100 : 500,
    execCalls: quick ? 20 : 100,
    lbTasks: quick ? 500 : 5000,
    mb: 16,
    bigTimes: quick ? 1 : 6,
    numbers: quick ? 100_000 : 1_000_000,
    bigCalls: quick ? 5 : 20,
    floorCalls: quick ? 500 : 2000,
    floorTasks: quick ? 5000 : 20000,
  };
}
