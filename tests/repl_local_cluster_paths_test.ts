/**
 * `ipx repl --local` with extra paths granted to user code (`--allow-read`, `--allow-write`) that
 * contain the temporary dir where its private cluster keeps its key: the REPL keeps its private
 * profile in the profile's dir instead, and when no place is left it says which paths to
 * change, naming only directories that still exist.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { processesMatching, tempIpxDir } from "./_helpers/ipx_cli.ts";
import { runReplScript } from "./_helpers/repl_process.ts";

/** Names in `dir` (none when it does not exist). */
function entries(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

Deno.test("repl --local with --allow-read/--allow-write containing the temporary dir keeps its private profile in the profile's dir", async () => {
  await using dir = await tempIpxDir();
  const ipxDir = join(dir.path, "ipx");
  const shared = join(dir.path, "shared"); // granted to user code, and TMPDIR inside it
  const tmp = join(shared, "tmp");
  await Deno.mkdir(tmp, { recursive: true });
  await Deno.writeTextFile(join(shared, "notes.txt"), "notes");
  const notes = JSON.stringify(join(shared, "notes.txt"));
  for (
    const [flag, cell] of [
      ["--allow-read", `%px Deno.readTextFileSync(${notes})\n`],
      ["--allow-write", `%px Deno.writeTextFileSync(${notes}, "written"); "notes"\n`],
    ]
  ) {
    const run = await runReplScript(cell!, ["repl", "--local", "1", flag!, shared], {
      IPX_DIR: ipxDir,
      TMPDIR: tmp,
    });
    assert.equal(run.code, 0, `${flag}: ${run.stderr}`);
    assert.equal(run.stdout, 'Out[0:1]: "notes"\n', flag);
    assert.doesNotMatch(run.stderr, /Uncaught|Cannot/, flag);
    assert.deepEqual(entries(tmp), [], `${flag}: nothing is left in TMPDIR`);
    assert.deepEqual(
      entries(join(ipxDir, "profile_default")).filter((n) => n.includes("ipx-repl")),
      [],
      `${flag}: the private profile, made in the profile's dir instead, is removed`,
    );
  }
  assert.equal(await Deno.readTextFile(join(shared, "notes.txt")), "written");
  assert.deepEqual(await processesMatching(shared), [], "no engine process is left behind");
});

Deno.test("repl --local with granted paths containing both the temporary dir and IPX_DIR: one line naming them, exit 2, nothing left", async () => {
  await using dir = await tempIpxDir();
  const tmp = join(dir.path, "tmp");
  const ipxDir = join(dir.path, "ipx");
  await Deno.mkdir(tmp);
  const oneLine = (stderr: string) => {
    assert.doesNotMatch(stderr, /Uncaught|^\s+at /m, stderr);
    const lines = stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, stderr);
    return lines[0]!;
  };
  const tail = "where `ipx repl --local` keeps its private cluster's connection files, so user " +
    "code could read the cluster's key; ";
  // one path containing both
  const both = await runReplScript("%px 1\n", ["repl", "--local", "1", "--allow-read", dir.path], {
    IPX_DIR: ipxDir,
    TMPDIR: tmp,
  });
  assert.equal(both.code, 2, both.stderr);
  assert.equal(both.stdout, "");
  assert.equal(
    oneLine(both.stderr),
    `ipx: Cannot use --allow-read ${dir.path}: it contains both the temporary dir ${tmp} and ` +
      `the profile dir ${ipxDir}/profile_default, ${tail}give a narrower --allow-read path ` +
      `that contains neither, or set TMPDIR to a directory outside it`,
  );
  // one path for each
  const each = await runReplScript(
    "%px 1\n",
    ["repl", "--local", "1", "--allow-write", tmp, "--allow-read", ipxDir],
    { IPX_DIR: ipxDir, TMPDIR: tmp },
  );
  assert.equal(each.code, 2, each.stderr);
  assert.equal(
    oneLine(each.stderr),
    `ipx: Cannot use --allow-write ${tmp} with --allow-read ${ipxDir}: the first contains the ` +
      `temporary dir ${tmp}, the second the profile dir ${ipxDir}/profile_default, ${tail}` +
      `give narrower paths, or set TMPDIR to a directory outside ${tmp}`,
  );
  assert.deepEqual(entries(tmp), [], "no private profile is left in TMPDIR");
  assert.deepEqual(
    entries(join(ipxDir, "profile_default")).filter((n) => n.includes("ipx-repl")),
    [],
    "no private profile is left in the profile's dir",
  );
});
