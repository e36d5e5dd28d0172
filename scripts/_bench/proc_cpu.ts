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
  // fields[0] is the state (field 3); utime and stime are fields 14 and 15
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`no CPU times in /proc stat line: ${line.slice(0, 80)}`);
  }
  return {
    comm: line.slice(open + 1, close),
    cpuMs: (utime + stime) * 1000 / TICKS_PER_SECOND,
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
