import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ALLOCATOR_VARIABLES, allocatorEnv, DEFAULT_GLIBC_TUNABLES } from "./allocator_env.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("allocatorEnv() gives ipx's default only when no allocator variable is set", () => {
  assert.deepEqual(allocatorEnv({ HOME: "/root", MALLOC_NOT_A_TUNABLE: "1" }), {
    GLIBC_TUNABLES: DEFAULT_GLIBC_TUNABLES,
  });
  assert.deepEqual(allocatorEnv({ MALLOC_ARENA_MAX: "2", PATH: "/bin" }), {
    MALLOC_ARENA_MAX: "2",
  });
  assert.deepEqual(allocatorEnv({ GLIBC_TUNABLES: "glibc.malloc.arena_max=2" }), {
    GLIBC_TUNABLES: "glibc.malloc.arena_max=2",
  });
  // an empty value is a setting too (the user switched the tuning off)
  assert.deepEqual(allocatorEnv({ GLIBC_TUNABLES: "" }), { GLIBC_TUNABLES: "" });
});

/** A stand-in for deno that the launcher accepts and that prints what it was given. */
async function fakeDeno(dir: string): Promise<string> {
  const path = `${dir}/deno`;
  await Deno.writeTextFile(
    path,
    `#!/usr/bin/env bash
if [[ "$1" == --version ]]; then echo "deno 2.9.6 (fake)"; exit 0; fi
echo "GLIBC_TUNABLES=\${GLIBC_TUNABLES-unset} MALLOC_ARENA_MAX=\${MALLOC_ARENA_MAX-unset}"
`,
    { mode: 0o755 },
  );
  return path;
}

async function launcherSees(env: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(`${ROOT}ipx`, {
      args: ["version"],
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", IPX_DENO: await fakeDeno(dir), ...env },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout).trim();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the ipx launcher sets the same default, and leaves a user's allocator settings alone", async () => {
  assert.equal(
    await launcherSees({}),
    `GLIBC_TUNABLES=${DEFAULT_GLIBC_TUNABLES} MALLOC_ARENA_MAX=unset`,
  );
  for (const name of ALLOCATOR_VARIABLES) {
    const seen = await launcherSees({ [name]: "2" });
    const expected = name === "GLIBC_TUNABLES" ? "GLIBC_TUNABLES=2" : "GLIBC_TUNABLES=unset";
    assert.ok(seen.startsWith(`${expected} `), `${name} set: launcher passed ${seen}`);
  }
});
