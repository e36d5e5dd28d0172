/**
 * The engine sandbox's file system boundary, through a real engine process: user code reads and
 * writes its data dir and nothing else — not /etc, not `../`, not /proc/self, not through a
 * symlink planted in the data dir, and not the engine's own connection file or key. Every
 * denial reaches the client as a RemoteError naming what was denied, and the engine keeps
 * working.
 */

import assert from "node:assert/strict";
import { startSandboxCluster } from "./sandbox_fixture.ts";

const q = JSON.stringify;

Deno.test("sandbox: user code reaches its data dir and nothing else on disk", async (t) => {
  await using c = await startSandboxCluster();
  const dataDir = await Deno.realPath(c.dataDir);

  await t.step(
    "positive control: read and write inside the data dir, relative paths land there",
    async () => {
      assert.equal(await c.run("Deno.cwd()"), dataDir);
      assert.equal(
        await c.run(
          `Deno.writeTextFileSync("inside.txt", "hello"); Deno.readTextFileSync(${
            q(`${dataDir}/inside.txt`)
          })`,
        ),
        "hello",
      );
      assert.equal(await Deno.readTextFile(`${dataDir}/inside.txt`), "hello");
    },
  );

  await t.step("reading /etc/passwd is denied", async () => {
    const e = await c.refused(`Deno.readTextFileSync("/etc/passwd")`);
    assert.match(e.evalue, /read access to "\/etc\/passwd" denied/);
    await c.refused(`(await import("node:fs")).readFileSync("/etc/passwd", "utf8")`);
    await c.refused(`Deno.statSync("/etc/passwd")`);
  });

  await t.step("../ escapes are denied for reading and writing", async () => {
    const write = await c.refused(`Deno.writeTextFileSync("../escape.txt", "x")`);
    assert.match(write.evalue, /write access to "\.\.\/escape\.txt" denied .*resolves to/);
    await assert.rejects(Deno.stat(`${dataDir}/../escape.txt`), Deno.errors.NotFound);
    const read = await c.refused(`Deno.readTextFileSync("../security/ipx-engine.json")`);
    assert.match(read.evalue, /read access to "\.\.\/security\/ipx-engine\.json" denied/);
    await c.refused(`[...Deno.readDirSync("..")]`);
    await c.refused(`Deno.writeTextFileSync("/tmp/ipx-sandbox-escape.txt", "x")`);
    await assert.rejects(Deno.stat("/tmp/ipx-sandbox-escape.txt"), Deno.errors.NotFound);
  });

  await t.step("/proc/self is denied (environ, mem, root, cmdline)", async () => {
    for (
      const path of [
        "/proc/self/environ",
        "/proc/self/mem",
        "/proc/self/root/etc/passwd",
        "/proc/self/cmdline",
      ]
    ) {
      const e = await c.refused(`Deno.readFileSync(${q(path)})`);
      assert.match(e.evalue, new RegExp(`read access to "${path.replaceAll("/", "\\/")}" denied`));
    }
    await c.refused(`Deno.writeFileSync("/proc/self/mem", new Uint8Array(1))`);
  });

  await t.step("user code cannot create a symlink", async () => {
    const e = await c.refused(`Deno.symlinkSync("/etc", "etc-link")`);
    assert.match(e.evalue, /creating symlinks is denied/);
  });

  await t.step(
    "a symlink planted in the data dir is not followed to read or write outside",
    async () => {
      const outside = await Deno.makeTempDir({ prefix: "ipx_outside_" });
      try {
        await Deno.writeTextFile(`${outside}/secret.txt`, "outside secret");
        await Deno.symlink(`${outside}/secret.txt`, `${dataDir}/read-link`);
        await Deno.symlink(`${outside}/new.txt`, `${dataDir}/write-link`);
        await Deno.symlink("/etc", `${dataDir}/etc-dir`);
        const read = await c.refused(`Deno.readTextFileSync("read-link")`, "SandboxViolation");
        assert.match(read.evalue, /symlinks that point outside the sandbox/);
        assert.match(read.evalue, /read-link/);
        await c.refused(`Deno.writeTextFileSync("write-link", "x")`, "SandboxViolation");
        await c.refused(`Deno.readTextFileSync("etc-dir/passwd")`, "SandboxViolation");
        await assert.rejects(Deno.stat(`${outside}/new.txt`), Deno.errors.NotFound);
        assert.equal(await Deno.readTextFile(`${outside}/secret.txt`), "outside secret");
      } finally {
        for (const l of ["read-link", "write-link", "etc-dir"]) {
          await Deno.remove(`${dataDir}/${l}`).catch(() => {});
        }
        await Deno.remove(outside, { recursive: true });
      }
      // once the links are gone, code runs again
      await c.assertAlive();
    },
  );

  await t.step("the engine's own connection file and the cluster key cannot be read", async () => {
    for (
      const file of [
        c.engineFile,
        `${c.security}/ipx-key`,
        c.clientFile,
        `${c.security}/ca-key.pem`,
      ]
    ) {
      const e = await c.refused(`Deno.readTextFileSync(${q(file)})`);
      assert.match(e.evalue, /read access to .* denied/);
    }
    // nothing in the Worker's reach carries the key: globals, arguments, main module
    const reach = await c.run(`
      const seen = [];
      for (const name of Object.getOwnPropertyNames(globalThis)) {
        let v; try { v = globalThis[name]; } catch { continue; }
        seen.push(name, typeof v === "string" ? v : "");
        if (v && typeof v === "object") {
          for (const k of Object.getOwnPropertyNames(v).slice(0, 200)) {
            try { const x = v[k]; if (typeof x === "string") seen.push(x); } catch {}
          }
        }
      }
      JSON.stringify([seen, Deno.args, Deno.mainModule ?? null, String(globalThis.location ?? "")])
    `) as string;
    assert.ok(!reach.includes(c.info.key), "the key is reachable from user code");
  });

  await t.step("the engine keeps working after every denial", async () => {
    await c.assertAlive();
  });
});
