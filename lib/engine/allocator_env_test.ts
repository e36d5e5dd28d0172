import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ALLOCATOR_VARIABLES, allocatorEnv, DEFAULT_GLIBC_TUNABLES } from "./allocator_env.ts";
import { byName } from "./engine_launch.ts";

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

/** The kernel's transparent huge page mode (`always`, `madvise`, `never`), or undefined. */
async function thpMode(): Promise<string | undefined> {
  try {
    const text = await Deno.readTextFile("/sys/kernel/mm/transparent_hugepage/enabled");
    return /\[(\w+)\]/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

/** glibc's version as [major, minor] (`getconf GNU_LIBC_VERSION`), or undefined. */
async function glibcVersion(): Promise<[number, number] | undefined> {
  try {
    const out = await new Deno.Command("getconf", { args: ["GNU_LIBC_VERSION"] }).output();
    const m = /glibc (\d+)\.(\d+)/.exec(new TextDecoder().decode(out.stdout));
    return m ? [Number(m[1]), Number(m[2])] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * KiB of huge pages backing a deno process's anonymous memory after it fills 32 MiB, the process
 * started as ipx starts its own: by name ({@linkcode byName}).
 */
async function hugeKiBAfterFill(env: Record<string, string>): Promise<number> {
  const code = String.raw`
    const buf = new Uint8Array(32 << 20);
    buf.fill(1);
    const m = /AnonHugePages:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/smaps_rollup"));
    console.log(m ? m[1] : "none", buf[12345]);
  `;
  const spawn = byName(Deno.execPath(), ["eval", "--quiet", code], {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    NO_COLOR: "1",
    ...env,
  });
  const out = await new Deno.Command(spawn.command, {
    args: spawn.args,
    env: spawn.env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const [kib, sample] = new TextDecoder().decode(out.stdout).trim().split(" ");
  assert.equal(sample, "1");
  assert.notEqual(kib, "none", "no AnonHugePages line in /proc/self/smaps_rollup");
  return Number(kib);
}

Deno.test({
  name: "with ipx's allocator default, big buffers are backed by huge pages (Linux with THP)",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const mode = await thpMode();
    if (mode === undefined || mode === "never") return; // the kernel offers none: nothing to ask
    const glibc = await glibcVersion();
    if (glibc === undefined || glibc[0] * 100 + glibc[1] < 235) return; // no such tunable
    // a 32 MiB buffer's pages faulted in 2 MiB at a time: 16 faults instead of 8,192. Glibc
    // 2.35/2.36 apply the tunable only when a stack byte happens to be zero (shortArgv0 in
    // engine_launch.ts): half the processes or more here, so one in ten must get them
    const seen: number[] = [];
    while (seen.length < 10 && !(seen.at(-1)! >= 2048)) {
      seen.push(await hugeKiBAfterFill(allocatorEnv({})));
    }
    assert.ok(seen.at(-1)! >= 2048, `KiB of huge pages after filling 32 MiB: ${seen.join(", ")}`);
    if (mode === "madvise") {
      // only glibc's madvise (glibc.malloc.hugetlb=1) asks for them: without it, none
      assert.equal(await hugeKiBAfterFill({ GLIBC_TUNABLES: "" }), 0);
    }
  },
});
