import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { withTempDir } from "../lib/protocol/testing.ts";

const IPX = fileURLToPath(new URL("../ipx", import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `./ipx args` from a neutral cwd with IPX_DIR set, and waits for it to exit. */
async function ipx(ipxDir: string, ...args: string[]): Promise<Run> {
  const output = await new Deno.Command(IPX, {
    args,
    cwd: ipxDir,
    env: { IPX_DIR: ipxDir, IPX_DEBUG: "0", NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("ipx --version prints the deno.json version", async () => {
  await withTempDir("ipx_cli_profile_test_", async (dir) => {
    const run = await ipx(dir, "--version");
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `${denoJson.version}\n`);
  });
});

Deno.test("ipx runs through a symlink to the launcher, from another directory, as a relative link too", async () => {
  await withTempDir("ipx_cli_profile_test_", async (dir) => {
    await Deno.mkdir(join(dir, "bin"));
    await Deno.symlink(IPX, join(dir, "bin", "ipx"));
    // a relative link to that link: two hops, the second relative to its own directory
    await Deno.symlink("../bin/ipx", join(dir, "elsewhere-ipx"));
    await Deno.mkdir(join(dir, "sub"));
    await Deno.rename(join(dir, "elsewhere-ipx"), join(dir, "sub", "ipx"));
    for (const launcher of [join(dir, "bin", "ipx"), join(dir, "sub", "ipx")]) {
      const out = await new Deno.Command(launcher, {
        args: ["--version"],
        cwd: dir,
        env: { IPX_DIR: dir, NO_COLOR: "1" },
        stdin: "null",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, `${launcher}: ${stderr}`);
      assert.equal(new TextDecoder().decode(out.stdout), `${denoJson.version}\n`);
    }
  });
});

Deno.test("ipx profile create makes the profile and prints its directory", async () => {
  await withTempDir("ipx_cli_profile_test_", async (dir) => {
    const run = await ipx(dir, "profile", "create", "foo");
    assert.equal(run.code, 0, run.stderr);
    const profileDir = join(dir, "profile_foo");
    assert.equal(run.stdout, `${profileDir}\n`);
    assert.equal(run.stderr, "");
    for (const sub of ["", "security", "log", "data"]) {
      assert.ok((await Deno.stat(join(profileDir, sub))).isDirectory, sub);
    }
    assert.equal((await Deno.stat(join(profileDir, "security"))).mode! & 0o777, 0o700);
    // Idempotent.
    const again = await ipx(dir, "profile", "create", "foo");
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, run.stdout);
  });
});

Deno.test("ipx profile list and locate report existing profiles", async () => {
  await withTempDir("ipx_cli_profile_test_", async (dir) => {
    const empty = await ipx(dir, "profile", "list");
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, "");
    assert.match(empty.stderr, /No profiles in .*ipx profile create NAME/);

    assert.equal((await ipx(dir, "profile", "create", "foo")).code, 0);
    assert.equal((await ipx(dir, "profile", "create", "default")).code, 0);
    const list = await ipx(dir, "profile", "list");
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, "default\nfoo\n");

    const foo = await ipx(dir, "profile", "locate", "foo");
    assert.equal(foo.stdout, `${join(dir, "profile_foo")}\n`);
    const byDefault = await ipx(dir, "profile", "locate");
    assert.equal(byDefault.stdout, `${join(dir, "profile_default")}\n`);
  });
});

Deno.test("ipx profile locate of a missing profile fails with exit 1 and a hint", async () => {
  await withTempDir("ipx_cli_profile_test_", async (dir) => {
    const run = await ipx(dir, "profile", "locate", "nope");
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^ipx: No profile "nope" .*`ipx profile create nope`/);
    assert.doesNotMatch(run.stderr, /\n\s+at /); // no stack trace
  });
});

Deno.test("ipx reports usage errors with exit 2", async () => {
  await withTempDir("ipx_cli_profile_test_", async (dir) => {
    const badName = await ipx(dir, "profile", "create", "../evil");
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /^ipx: Invalid profile name "\.\.\/evil"/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);

    const missingArg = await ipx(dir, "profile", "create");
    assert.equal(missingArg.code, 2);
    assert.match(missingArg.stderr, /^ipx: missing required argument 'name'/);

    const unknown = await ipx(dir, "profile", "--bogus");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^ipx: unknown option '--bogus'/);

    const none = await ipx(dir);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: ipx/);
  });
});

Deno.test("ipx profile create --help describes the command", async () => {
  await withTempDir("ipx_cli_profile_test_", async (dir) => {
    for (const sub of ["create", "list", "locate"]) {
      const run = await ipx(dir, "profile", sub, "--help");
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`Usage: ipx profile ${sub}`));
    }
  });
});

Deno.test("IPX_DEBUG=1 adds the stack trace", async () => {
  await withTempDir("ipx_cli_profile_test_", async (dir) => {
    const output = await new Deno.Command(IPX, {
      args: ["profile", "locate", "nope"],
      env: { IPX_DIR: dir, IPX_DEBUG: "1" },
      stdin: "null",
    }).output();
    assert.equal(output.code, 1);
    assert.match(
      new TextDecoder().decode(output.stderr),
      /ProfileNotFoundError: No profile[^]*\n\s+at /,
    );
  });
});
