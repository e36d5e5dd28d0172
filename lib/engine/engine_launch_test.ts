import assert from "node:assert/strict";
import { ALLOCATOR_VARIABLES, DEFAULT_GLIBC_TUNABLES } from "./allocator_env.ts";
import {
  byName,
  engineEnv,
  engineProcessFlags,
  inOwnSession,
  SEMI_SPACE_MB,
  type SessionSpawn,
  shortArgv0,
} from "./engine_launch.ts";

Deno.test("engineProcessFlags() caps the young generation and passes the heap limit in one --v8-flags", () => {
  const info = { host: "127.0.0.1", port: 4000 } as Parameters<
    typeof engineProcessFlags
  >[0]["info"];
  const base = { file: "/secrets/ipx-engine.json", info, n: 1, dataDir: "/data", log: () => {} };
  const v8 = (flags: string[]) => flags.filter((f) => f.startsWith("--v8-flags"));
  assert.deepEqual(v8(engineProcessFlags(base)), [
    `--v8-flags=--max-semi-space-size=${SEMI_SPACE_MB}`,
  ]);
  assert.deepEqual(v8(engineProcessFlags({ ...base, maxMemoryMb: 512 })), [
    `--v8-flags=--max-semi-space-size=${SEMI_SPACE_MB},--max-old-space-size=512`,
  ]);
});

Deno.test("engineProcessFlags() lets the engine process reach the controller's local socket", () => {
  const info = {
    host: "127.0.0.1",
    port: 4000,
    ipcPath: "/home/me/.ipx/profile_default/security/ipx.sock",
  } as Parameters<typeof engineProcessFlags>[0]["info"];
  const flags = engineProcessFlags({
    file: "/home/me/.ipx/profile_default/security/ipx-engine.json",
    info,
    n: 1,
    dataDir: "/data",
    log: () => {},
  });
  const value = (name: string) => flags.find((f) => f.startsWith(`${name}=`))!.split("=")[1]!;
  assert.ok(value("--allow-read").split(",").includes(info.ipcPath!));
  assert.ok(value("--allow-write").split(",").includes(info.ipcPath!));
  assert.deepEqual(value("--allow-net").split(","), ["127.0.0.1:4000", `unix:${info.ipcPath}`]);
  const without = engineProcessFlags({
    file: "/s/ipx-engine.json",
    info: { ...info, ipcPath: undefined } as typeof info,
    n: 1,
    dataDir: "/data",
    log: () => {},
  });
  assert.equal(without.find((f) => f.startsWith("--allow-net=")), "--allow-net=127.0.0.1:4000");
  assert.equal(without.find((f) => f.startsWith("--allow-write=")), "--allow-write=/data");
});

Deno.test("engineEnv() passes the allocator's tuning and nothing else of the environment, and turns off Deno's update check", () => {
  const set = {
    MALLOC_MMAP_THRESHOLD_: "131072",
    MALLOC_ARENA_MAX: "2",
    GLIBC_TUNABLES: "glibc.malloc.arena_max=2",
  };
  const unrelated = "IPX_TEST_SECRET_TOKEN";
  try {
    for (const [k, v] of Object.entries(set)) Deno.env.set(k, v);
    Deno.env.set(unrelated, "x");
    Deno.env.set("MALLOC_NOT_A_TUNABLE", "y");
    const env = engineEnv();
    assert.equal(env.MALLOC_MMAP_THRESHOLD_, "131072");
    assert.equal(env.MALLOC_ARENA_MAX, "2");
    assert.equal(env.GLIBC_TUNABLES, "glibc.malloc.arena_max=2");
    assert.equal(env.NO_COLOR, "1");
    assert.equal(env.DENO_NO_UPDATE_CHECK, "1", "no engine looks up dl.deno.land");
    assert.equal(env[unrelated], undefined);
    assert.equal(env.MALLOC_NOT_A_TUNABLE, undefined);
  } finally {
    for (const k of [...Object.keys(set), unrelated, "MALLOC_NOT_A_TUNABLE"]) Deno.env.delete(k);
  }
});

Deno.test("engineEnv() gives engines ipx's allocator default when the user set none", () => {
  const saved = Object.entries(Deno.env.toObject()).filter(([k]) => ALLOCATOR_VARIABLES.has(k));
  try {
    for (const [k] of saved) Deno.env.delete(k);
    assert.equal(engineEnv().GLIBC_TUNABLES, DEFAULT_GLIBC_TUNABLES);
  } finally {
    for (const [k, v] of saved) Deno.env.set(k, v);
  }
});

/** Session id and process group of a process started as `inOwnSession` says, and its pid. */
async function sessionOf(spawn: SessionSpawn): Promise<{ pid: number; sid: number; pgrp: number }> {
  const child = new Deno.Command(spawn.command, {
    args: spawn.args,
    env: spawn.env,
    clearEnv: true,
    detached: spawn.detached,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const out = await child.output();
  assert.ok(out.success);
  // /proc/<pid>/stat: pid (comm) state ppid pgrp session …
  const fields = new TextDecoder().decode(out.stdout).split(") ")[1]!.split(" ");
  return { pid: child.pid, pgrp: Number(fields[2]), sid: Number(fields[3]) };
}

Deno.test({
  name:
    "inOwnSession: the command leads a new session and process group, with setsid(1) or without",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const ownSid = Number(Deno.readTextFileSync("/proc/self/stat").split(") ")[1]!.split(" ")[3]);
    const env = { PATH: "/usr/bin:/bin" };
    const viaSetsid = inOwnSession("/bin/cat", ["/proc/self/stat"], env);
    const viaDeno = inOwnSession("/bin/cat", ["/proc/self/stat"], env, []);
    assert.deepEqual(viaDeno, {
      command: "/bin/cat",
      args: ["/proc/self/stat"],
      detached: true,
      env,
    });
    const spawns: SessionSpawn[] = [viaDeno];
    if (viaSetsid.detached === false) {
      assert.match(viaSetsid.command, /setsid$/);
      // run by name, its directory first in PATH
      assert.deepEqual(viaSetsid.args, ["cat", "/proc/self/stat"]);
      assert.deepEqual(viaSetsid.env, { PATH: "/bin:/usr/bin" });
      spawns.push(viaSetsid);
    }
    for (const spawn of spawns) {
      const { pid, sid, pgrp } = await sessionOf(spawn);
      // the pid Deno reports is the command's own (setsid(1) execs it without forking)
      assert.equal(sid, pid, `${spawn.command}: session`);
      assert.equal(pgrp, pid, `${spawn.command}: process group`);
      assert.notEqual(sid, ownSid);
    }
  },
});

Deno.test("shortArgv0() names the executable and puts its directory first in PATH, once", () => {
  assert.deepEqual(
    shortArgv0("/opt/deno/bin/deno", { PATH: "/usr/bin:/opt/deno/bin::/bin", A: "1" }),
    {
      name: "deno",
      env: { PATH: "/opt/deno/bin:/usr/bin:/bin", A: "1" },
    },
  );
  assert.deepEqual(shortArgv0("/deno", {}), { name: "deno", env: { PATH: "/" } });
  // PATH cannot name a directory with a colon: the path itself must run
  assert.equal(shortArgv0("/home/me/a:b/deno", { PATH: "/bin" }), undefined);
  assert.deepEqual(byName("/home/me/a:b/deno", ["x"], { PATH: "/bin" }), {
    command: "/home/me/a:b/deno",
    args: ["x"],
    env: { PATH: "/bin" },
  });
  const colon = inOwnSession("/home/me/a:b/deno", ["x"], { PATH: "/bin" });
  if (!colon.detached) assert.deepEqual(colon.args, ["/home/me/a:b/deno", "x"]); // via setsid(1)
});

Deno.test({
  name: "byName() runs the executable by its bare name, as the same process",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const spawn = byName("/bin/sh", ["-c", 'echo "$$ $0"'], { PATH: "/nonexistent" });
    const child = new Deno.Command(spawn.command, {
      args: spawn.args,
      env: spawn.env,
      clearEnv: true,
      stdout: "piped",
    }).spawn();
    const out = await child.output();
    assert.ok(out.success);
    const [pid, argv0] = new TextDecoder().decode(out.stdout).trim().split(" ");
    if (spawn.command === "/bin/sh") return; // no env(1) here: the path runs as it is
    assert.equal(argv0, "sh");
    assert.equal(Number(pid), child.pid); // env(1) execs it: no process in between
  },
});
