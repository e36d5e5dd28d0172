/**
 * CPU time per thread as the Linux kernel counts it (user + system, from
 * `/proc/<pid>/task/<tid>/stat`): what a workload costs each process and thread, kernel work
 * included, without a profiler's own overhead or its habit of charging a thread for the time
 * it was preempted.
 *
 * @module
 */

/** Kernel clock ticks per second of `/proc` times (`USER_HZ`: 100 on every Linux we target). */
export const TICKS_PER_SECOND = 100;

/** One thread's line of `/proc/<pid>/task/<tid>/stat`, the parts used here. */
export interface ThreadStat {
  /** The thread's name (`comm`: `deno`, `worker-1`, `tokio-runtime-w`, `V8 DefaultWorke`…). */
  comm: string;
  /** User plus system time, in ms. */
  cpuMs: number;
  /** User time, in ms. */
  userMs: number;
  /** System (kernel) time, in ms. */
  sysMs: number;
  /**
   * Minor page faults: pages touched for the first time (fresh memory). On a virtual machine
   * each can cost ~10 µs of kernel time (see `cpu_per_task.ts`).
   */
  minorFaults: number;
}

/**
 * Parses a `stat` line. The name sits in parentheses and may itself hold spaces and
 * parentheses, so the fields are counted from the last `)`.
 *
 * @param line The file's contents.
 * @returns The thread's name and CPU time.
 */
export function parseThreadStat(line: string): ThreadStat {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${line.slice(0, 80)}`);
  const fields = line.slice(close + 2).trim().split(" ");
  // fields[0] is the state (field 3); minflt is field 10, utime and stime are fields 14 and 15
  const minflt = Number(fields[7]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(minflt)) {
    throw new Error(`no CPU times in /proc stat line: ${line.slice(0, 80)}`);
  }
  return {
    comm: line.slice(open + 1, close),
    cpuMs: (utime + stime) * 1000 / TICKS_PER_SECOND,
    userMs: utime * 1000 / TICKS_PER_SECOND,
    sysMs: stime * 1000 / TICKS_PER_SECOND,
    minorFaults: minflt,
  };
}

/**
 * The group a thread's time is reported under: numbered names (`worker-3`, `tokio-runtime-w`
 * variants) are folded into one.
 *
 * @param comm The thread's name.
 */
export function threadGroup(comm: string): string {
  if (comm === "deno" || comm === "python3") return "main";
  if (/^worker-\d+$/.test(comm)) return "Worker thread"; // engine: code Worker; controller: result writer
  if (comm.startsWith("tokio-runtime")) return "I/O threads";
  if (comm.startsWith("V8 ")) return "V8 helpers (GC)";
  return comm;
}

/** CPU ms per `role/group`, summed over the processes and threads given. */
export type CpuSnapshot = Map<string, number>;

/**
 * Reads the CPU time of every thread of the processes given.
 *
 * @param roles Process ids by role (several processes may share a role).
 * @returns Ms per `role/group`; processes that are gone are left out.
 */
export function readCpu(roles: Record<string, number[]>): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  for (const [role, pids] of Object.entries(roles)) {
    for (const pid of pids) {
      let tids: Deno.DirEntry[];
      try {
        tids = [...Deno.readDirSync(`/proc/${pid}/task`)];
      } catch {
        continue;
      }
      for (const t of tids) {
        try {
          const s = parseThreadStat(Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/stat`));
          const key = `${role}/${threadGroup(s.comm)}`;
          out.set(key, (out.get(key) ?? 0) + s.cpuMs);
        } catch {
          // the thread ended between the listing and the read
        }
      }
    }
  }
  return out;
}

/**
 * What was spent between two snapshots, biggest first.
 *
 * @param before The earlier snapshot.
 * @param after The later one.
 * @returns `[role/group, ms]` pairs with time spent.
 */
export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot): [string, number][] {
  return [...after]
    .map(([k, v]): [string, number] => [k, v - (before.get(k) ?? 0)])
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1]);
}

/** A role's processes' user and system time (ms) and minor page faults, summed. */
export interface ProcessTotals {
  /** User time, in ms. */
  userMs: number;
  /** System (kernel) time, in ms. */
  sysMs: number;
  /** Minor page faults. */
  minorFaults: number;
}

/**
 * Reads each role's processes' totals from `/proc/<pid>/stat` (all threads, ended ones
 * included).
 *
 * @param roles Process ids by role.
 * @returns Totals per role; processes that are gone are left out.
 */
export function readTotals(roles: Record<string, number[]>): Map<string, ProcessTotals> {
  const out = new Map<string, ProcessTotals>();
  for (const [role, pids] of Object.entries(roles)) {
    const sum: ProcessTotals = { userMs: 0, sysMs: 0, minorFaults: 0 };
    for (const pid of pids) {
      try {
        const s = parseThreadStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
        sum.userMs += s.userMs;
        sum.sysMs += s.sysMs;
        sum.minorFaults += s.minorFaults;
      } catch {
        // the process is gone
      }
    }
    out.set(role, sum);
  }
  return out;
}

/**
 * What each role spent between two {@linkcode readTotals} readings.
 *
 * @param before The earlier reading.
 * @param after The later one.
 * @returns `[role, totals]` pairs, in the order of `after`.
 */
export function totalsSpent(
  before: Map<string, ProcessTotals>,
  after: Map<string, ProcessTotals>,
): [string, ProcessTotals][] {
  return [...after].map(([role, a]): [string, ProcessTotals] => {
    const b = before.get(role) ?? { userMs: 0, sysMs: 0, minorFaults: 0 };
    return [role, {
      userMs: a.userMs - b.userMs,
      sysMs: a.sysMs - b.sysMs,
      minorFaults: a.minorFaults - b.minorFaults,
    }];
  });
}
