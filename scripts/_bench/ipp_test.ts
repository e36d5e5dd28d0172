import assert from "node:assert/strict";
import { DEFAULT_GLIBC_TUNABLES } from "../../lib/engine/allocator_env.ts";
import { withoutIpxAllocatorDefault } from "./ipp.ts";

Deno.test("ipyparallel runs without ipx's allocator default, but with a user's own setting", () => {
  const env = { PATH: "/bin", GLIBC_TUNABLES: DEFAULT_GLIBC_TUNABLES };
  assert.deepEqual(withoutIpxAllocatorDefault(env), { PATH: "/bin" });
  assert.equal(env.GLIBC_TUNABLES, DEFAULT_GLIBC_TUNABLES); // the caller's copy is untouched
  const own = { GLIBC_TUNABLES: "glibc.malloc.arena_max=2", MALLOC_ARENA_MAX: "1" };
  assert.deepEqual(withoutIpxAllocatorDefault(own), own);
});
