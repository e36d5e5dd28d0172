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
 * A user who sets any allocator variable ({@linkcode ALLOCATOR_VARIABLES}) keeps exactly their
 * own settings. The `ipx` launcher (`scripts/_deno.sh`, the same value, checked by a test)
 * sets it for every ipx command; the engine supervisor for every engine process. A user's own
 * Deno program using the client library runs with whatever its environment says.
 *
 * @module
 */

/** glibc's tunables ipx sets when the user set none: big buffers stay in the process. */
export const DEFAULT_GLIBC_TUNABLES =
  "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864";

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
