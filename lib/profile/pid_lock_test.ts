import assert from "node:assert/strict";
import { hostname } from "node:os";
import { join } from "node:path";
import {
  acquirePidLock,
  AlreadyRunningError,
  isProcessAlive,
  PidLockError,
  readPidFile,
} from "./pid_lock.ts";
import { withTempDir } from "../protocol/testing.ts";
import { withZombie } from "../../tests/_helpers/zombie.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) out.push(entry.name);
  return out.sort();
}

/** Runs `fn` with the pid of a live child process (`cat`, stopped by closing its stdin). */
async function withLiveProcess(fn: (pid: number) => Promise<void>): Promise<void> {
  const child = new Deno.Command("cat", { stdin: "piped", stdout: "null", stderr: "null" })
    .spawn();
  try {
    await fn(child.pid);
  } finally {
    await child.stdin.close();
    await child.status;
  }
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

Deno.test("acquirePidLock() writes our pid and release() removes the file", async () => {
  await withTempDir("ipx_pid_lock_test_", async (dir) => {
    const path = join(dir, "ipx.pid");
    const lock = await acquirePidLock(path);
    assert.equal(lock.pid, Deno.pid);
    assert.equal(lock.path, path);
    const info = await readPidFile(path);
    assert.equal(info?.pid, Deno.pid);
    assert.equal(info?.hostname, hostname());
    assert.deepEqual(await names(dir), ["ipx.pid"]);
    lock.release();
    lock.release();
    assert.deepEqual(await names(dir), []);
  });
});

Deno.test("acquirePidLock() is disposable with `using`", async () => {
  await withTempDir("ipx_pid_lock_test_", async (dir) => {
    const path = join(dir, "ipx.pid");
    {
      using _lock = await acquirePidLock(path);
      assert.deepEqual(await names(dir), ["ipx.pid"]);
    }
    assert.deepEqual(await names(dir), []);
  });
});

Deno.test("acquirePidLock() refuses a second lock while this process holds it", async () => {
  await withTempDir("ipx_pid_lock_test_", async (dir) => {
    const path = join(dir, "ipx.pid");
    using _held = await acquirePidLock(path);
    await assert.rejects(acquirePidLock(path), AlreadyRunningError);
    assert.equal((await readPidFile(path))?.pid, Deno.pid);
  });
});

Deno.test("acquirePidLock() names a live holder's pid and how to stop it", async () => {
  await withTempDir("ipx_pid_lock_test_", async (dir) => {
    const path = join(dir, "ipx.pid");
    await withLiveProcess(async (pid) => {
      for (const content of [`${pid}\n`, JSON.stringify({ pid, hostname: hostname() })]) {
        await Deno.writeTextFile(path, content);
        await assert.rejects(acquirePidLock(path, { what: "ipx controller" }), (e: unknown) => {
          assert.ok(e instanceof AlreadyRunningError);
          assert.equal(e.pid, pid);
          assert.equal(e.path, path);
          assert.match(e.message, new RegExp(`ipx controller is already running as pid ${pid}`));
          assert.ok(e.message.includes(`kill ${pid}`));
          return true;
        });
        assert.equal(await Deno.readTextFile(path), content);
        assert.deepEqual(await names(dir), ["ipx.pid"]);
      }
    });
  });
});

Deno.test("acquirePidLock() counts a lock from another host as live", async () => {
  await withTempDir("ipx_pid_lock_test_", async (dir) => {
    const path = join(dir, "ipx.pid");
    await Deno.writeTextFile(path, JSON.stringify({ pid: 1, hostname: "elsewhere.invalid" }));
    await assert.rejects(acquirePidLock(path), /stop it on elsewhere\.invalid/);
  });
});

Deno.test("acquirePidLock() replaces a stale, reused-pid or corrupt lock file", async () => {
  await withTempDir("ipx_pid_lock_test_", async (dir) => {
    const path = join(dir, "ipx.pid");
    const earlier = new Date(performance.timeOrigin - 60_000).toISOString();
    const stale = [
      `${await deadPid()}\n`,
      JSON.stringify({ pid: Deno.pid, hostname: hostname(), startedAt: earlier }),
      "garbage",
      "",
    ];
    for (const content of stale) {
      await Deno.writeTextFile(path, content);
      const lock = await acquirePidLock(path);
      assert.equal((await readPidFile(path))?.pid, Deno.pid);
      assert.deepEqual(await names(dir), ["ipx.pid"]);
      lock.release();
    }
  });
});

Deno.test("release() leaves a lock file that another holder has replaced", async () => {
  await withTempDir("ipx_pid_lock_test_", async (dir) => {
    const path = join(dir, "ipx.pid");
    const lock = await acquirePidLock(path);
    await Deno.writeTextFile(path, "12345\n");
    lock.release();
    assert.equal(await Deno.readTextFile(path), "12345\n");
  });
});

Deno.test("acquirePidLock() reports a missing directory as PidLockError", async () => {
  await withTempDir("ipx_pid_lock_test_", async (dir) => {
    await assert.rejects(acquirePidLock(join(dir, "absent", "x.pid")), (e: unknown) => {
      assert.ok(e instanceof PidLockError);
      assert.match(e.message, /writable/);
      return true;
    });
  });
});

Deno.test("isProcessAlive() tells live from exited processes", async () => {
  assert.equal(isProcessAlive(Deno.pid), true);
  assert.equal(isProcessAlive(await deadPid()), false);
});

Deno.test({
  name: "isProcessAlive() and acquirePidLock() count an unreaped (zombie) process as ended",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await withZombie(async (pid) => {
      assert.equal(isProcessAlive(pid), false);
      await withTempDir("ipx_pid_lock_test_", async (dir) => {
        const path = join(dir, "ipx.pid");
        await Deno.writeTextFile(path, JSON.stringify({ pid, hostname: hostname() }));
        using lock = await acquirePidLock(path, { what: "ipx controller" });
        assert.equal((await readPidFile(path))?.pid, Deno.pid);
        assert.ok(lock);
      });
    });
  },
});

Deno.test("readPidFile() returns undefined for a missing or foreign file", async () => {
  await withTempDir("ipx_pid_lock_test_", async (dir) => {
    assert.equal(await readPidFile(join(dir, "absent")), undefined);
    await Deno.writeTextFile(join(dir, "f"), '{"pid": -3, "hostname": "h"}');
    assert.equal(await readPidFile(join(dir, "f")), undefined);
  });
});
