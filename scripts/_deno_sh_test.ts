// scripts/_deno.sh's ipx_deno: which deno it picks, and that it asks a binary for its version
// once, not on every ipx command, until that binary changes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const DENO_SH = fileURLToPath(new URL("./_deno.sh", import.meta.url));

/** A fake deno that reports `version` and counts how often it was asked. */
async function fakeDeno(dir: string, version: string): Promise<string> {
  const bin = join(dir, "deno");
  await Deno.writeTextFile(
    bin,
    `#!/bin/sh\necho asked >> "${dir}/asked"\necho "deno ${version} (stable, release, x86_64-unknown-linux-gnu)"\n`,
  );
  await Deno.chmod(bin, 0o755);
  return bin;
}

async function firstOnPath(tool: string): Promise<string> {
  for (const dir of ["/usr/bin", "/bin", "/usr/local/bin"]) {
    const path = join(dir, tool);
    if (await Deno.stat(path).then((i) => i.isFile, () => false)) return path;
  }
  throw new Error(`${tool} is not installed`);
}

async function asked(dir: string): Promise<number> {
  const text = await Deno.readTextFile(join(dir, "asked")).catch(() => "");
  return text.split("\n").filter(Boolean).length;
}

/**
 * Runs `ipx_deno ROOT` with IPX_DENO set and a PATH of the few tools it uses (no deno to find,
 * no npm to install one: only IPX_DENO can be chosen); returns its exit code and its choice.
 */
async function ipxDeno(root: string, ipxDenoPath: string): Promise<{ code: number; bin: string }> {
  const tools = join(root, "tools");
  await Deno.mkdir(tools, { recursive: true });
  for (const tool of ["stat", "head", "mkdir"]) {
    const at = join(tools, tool);
    if (!await Deno.lstat(at).then(() => true, () => false)) {
      await Deno.symlink(await firstOnPath(tool), at);
    }
  }
  const out = await new Deno.Command(await firstOnPath("bash"), {
    args: ["-c", `source "${DENO_SH}" && ipx_deno "$1" && printf '%s' "$IPX_DENO_BIN"`, "-", root],
    env: { PATH: tools, IPX_DENO: ipxDenoPath },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, bin: new TextDecoder().decode(out.stdout) };
}

Deno.test("ipx_deno asks a deno for its version once, and again when the binary changes", async () => {
  const root = await Deno.makeTempDir({ prefix: "ipx-deno-sh-" });
  try {
    const fake = await fakeDeno(root, "2.9.6");
    for (let run = 1; run <= 3; run++) {
      assert.deepEqual(await ipxDeno(root, fake), { code: 0, bin: fake });
    }
    assert.equal(await asked(root), 1, "the answer is kept after the first run");
    assert.match(await Deno.readTextFile(join(root, ".tools/deno-usable")), /\/deno \d+ \d+ /);
    // replaced by another version (a new file: new inode and change time): asked again
    await Deno.remove(fake);
    await fakeDeno(root, "2.10.0");
    assert.deepEqual(await ipxDeno(root, fake), { code: 0, bin: fake });
    assert.equal(await asked(root), 2);
    assert.deepEqual(await ipxDeno(root, fake), { code: 0, bin: fake });
    assert.equal(await asked(root), 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("ipx_deno keeps no yes for a deno that is too old, and refuses it every time", async () => {
  const root = await Deno.makeTempDir({ prefix: "ipx-deno-sh-" });
  try {
    const fake = await fakeDeno(root, "2.8.1");
    for (let run = 1; run <= 2; run++) {
      const { code } = await ipxDeno(root, fake);
      assert.notEqual(code, 0, "no usable deno and no npm: ipx_deno fails");
    }
    assert.equal(await asked(root), 2, "asked on every run");
    // a kept yes for another file does not vouch for this one
    await Deno.writeTextFile(join(root, ".tools/deno-usable"), `/elsewhere/deno 1 2 3 4\n`);
    assert.notEqual((await ipxDeno(root, fake)).code, 0);
    assert.equal(await asked(root), 3);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
