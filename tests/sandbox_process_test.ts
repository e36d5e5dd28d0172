/**
 * The engine process itself, as started by `ipx engine`: it runs with the least Deno
 * permissions it needs (checked on its real command line in /proc), the cluster key is neither
 * on its command line nor in its environment, and engines refuse a data dir or extra path
 * that would let user code read the connection file.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { IpxProcess } from "./_helpers/ipx_cli.ts";
import { startSandboxCluster } from "./sandbox_fixture.ts";

const LIB = fileURLToPath(new URL("../lib", import.meta.url));

function flagValues(args: string[], name: string): string[] | undefined {
  const flag = args.find((a) => a === name || a.startsWith(`${name}=`));
  if (flag === undefined) return undefined;
  return flag === name ? [] : flag.slice(name.length + 1).split(",");
}

Deno.test("sandbox: the engine process runs with the least permissions and never sees the key in argv or env", async (t) => {
  await using c = await startSandboxCluster();
  const cmdline = await Deno.readTextFile(`/proc/${c.enginePid}/cmdline`);
  const args = cmdline.split("\0").filter(Boolean);
  const script = args.findIndex((a) => a.endsWith("/lib/engine/process_main.ts"));
  assert.ok(script > 0, args.join(" "));
  const denoFlags = args.slice(0, script);

  await t.step("read: ipx's lib, its connection file and the data dir only", () => {
    assert.deepEqual(
      flagValues(denoFlags, "--allow-read")?.sort(),
      [LIB, c.engineFile, c.dataDir].sort(),
    );
  });

  await t.step("write: the data dir only; net: the controller only", () => {
    assert.deepEqual(flagValues(denoFlags, "--allow-write"), [c.dataDir]);
    assert.deepEqual(flagValues(denoFlags, "--allow-net"), [`${c.info.host}:${c.info.port}`]);
  });

  await t.step("no escape hatches: no run, ffi, env, import or all; explicit denials", () => {
    for (
      const forbidden of [
        "-A",
        "--allow-all",
        "--allow-run",
        "--allow-ffi",
        "--allow-env",
        "--allow-import",
      ]
    ) {
      assert.equal(
        flagValues(denoFlags, forbidden),
        undefined,
        `${forbidden} in ${denoFlags.join(" ")}`,
      );
    }
    for (
      const required of [
        "--no-prompt",
        "--deny-run",
        "--deny-ffi",
        "--deny-import",
        "--cached-only",
        "--no-lock",
        "--unstable-worker-options",
      ]
    ) {
      assert.ok(denoFlags.includes(required), `${required} missing from ${denoFlags.join(" ")}`);
    }
  });

  await t.step("the key is in neither the command line nor the environment", async () => {
    assert.ok(!cmdline.includes(c.info.key));
    const environ = await Deno.readTextFile(`/proc/${c.enginePid}/environ`);
    assert.ok(!environ.includes(c.info.key));
  });

  await t.step(
    "engines refuse a data dir or path that would expose the connection file",
    async () => {
      const link = `${c.dir}/innocent-looking-data`;
      await Deno.symlink(c.security, link);
      for (
        const args of [
          ["--data-dir", c.security],
          ["--data-dir", link],
          ["--allow-read", c.dir],
          ["--allow-write", `${c.dir}/profile_default`],
        ]
      ) {
        await using engine = new IpxProcess(c.dir, "engine", "--n", "1", ...args);
        // it must exit on its own, before any engine registers
        const outcome = await Promise.race([
          engine.child.status.then(() => "exited"),
          engine.waitFor(/engine \d+ registered/).then(() => "registered", () => "exited"),
        ]);
        assert.equal(outcome, "exited", `an engine started with ${args.join(" ")}`);
        assert.notEqual((await engine.child.status).code, 0, args.join(" "));
        assert.match(engine.output, /user code could reach the connection file .*ipx-engine\.json/);
      }
      await c.assertAlive();
    },
  );
});
