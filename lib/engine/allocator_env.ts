/**
 * The C allocator (glibc malloc) settings ipx runs its processes with.
 *
 * Big buffers (a 16 MiB push or pull crosses every process, each hop allocating one) are by
 * default given back to the system when freed and taken again on the next transfer: each new
 * page is a fault and a zero fill, on a virtual machine a trap to the host too. Measured here
 * (`deno run`, a 16 MiB buffer allocated and filled 50 times): 4–7 ms per buffer by default,
 * 2.6–2.9 ms with {@linkcode DEFAULT_GLIBC_TUNABLES}; ten 16 MiB push/pull cycles on a local
 * 2-engine cluster took 13% less wall time on average (7–19% in four alternated runs). The price
 * is memory kept after big transfers (~30 MB more per engine after 16 MiB transfers):
 * buffers up to 32 MiB come from the heap, and a heap keeps up to 64 MiB free at its top
 * before it gives memory back.
 *
 * `glibc.malloc.hugetlb=1` (glibc 2.35 and later; older ones ignore it) makes malloc ask the
 * kernel for transparent huge pages (`madvise(MADV_HUGEPAGE)`) for its heap and big blocks, so a
 * fresh 16 MiB buffer is 8 faults of 2 MiB instead of 4,096 of 4 KiB. On this project's virtual
 * machines a first touch of a 4 KiB page costs ~10 µs: a 16 MiB buffer allocated and filled
 * took 46–55 ms by default, 1–8 ms with huge pages; ten 16 MiB push/pull cycles on 2 engines
 * took 1,498–1,873 ms instead of 1,989–2,861 (four alternations). Glibc 2.35 and 2.36 apply it
 * only when a stack byte happens to be zero, which is why ipx starts its processes by name
 * (`shortArgv0` in engine_launch.ts). It changes nothing where the kernel offers no huge pages
 * (`transparent_hugepage/enabled` = `never`); where it does, the kernel may compact memory to
 * find them (`defrag`).
 *
 * A user who sets any allocator variable ({@linkcode ALLOCATOR_VARIABLES}) keeps exactly their
 * own settings. The `ipx` launcher (`scripts/_deno.sh`, the same value, checked by a test)
 * sets it for every ipx command; the engine supervisor for every engine process. A user's own
 * Deno program using the client library runs with whatever its environment says.
 *
 * @module
 */

/** glibc's tunables ipx sets when the user set none: big buffers stay, in huge pages. */
export const DEFAULT_GLIBC_TUNABLES =
  "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864:glibc.malloc.hugetlb=1";

/** The C allocator's (glibc's) tuning variables, passed on to engine processes as they are. */
export const ALLOCATOR_VARIABLES: ReadonlySet<string> = new Set([
  "GLIBC_TUNABLES",
  "MALLOC_ARENA_MAX",
  "MALLOC_ARENA_TEST",
  "MALLOC_CHECK_",
  "MALLOC_MMAP_MAX_",
  "MALLOC_MMAP_THRESHOLD_",
  "MALLOC_PERTURB_",
  "MALLOC_TOP_PAD_",
  "MALLOC_TRIM_THRESHOLD_",
]);

/**
 * The allocator variables a child process gets: the ones set in `env`, or
 * `GLIBC_TUNABLES=`{@linkcode DEFAULT_GLIBC_TUNABLES} when none is set.
 *
 * @param env The parent's environment.
 * @returns The variables to set in the child.
 */
export function allocatorEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (ALLOCATOR_VARIABLES.has(name)) out[name] = value;
  }
  if (Object.keys(out).length === 0) out.GLIBC_TUNABLES = DEFAULT_GLIBC_TUNABLES;
  return out;
}
