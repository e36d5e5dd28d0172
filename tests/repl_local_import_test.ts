/**
 * `ipx repl`'s local cells import relative paths from the REPL's current directory, as
 * `deno repl` and Node's REPL do: the real REPL (`repl --local 1`) started in a temp
 * directory, driven through a pipe.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { processesMatching, tempIpxDir } from "./_helpers/ipx_cli.ts";
import { runReplScript } from "./_helpers/repl_process.ts";

/** Runs `script` on `ipx repl --local 1` started in `cwd`; waits for it to exit. */
async function replIn(cwd: string, ipxDir: string, script: string) {
  const dataDir = join(ipxDir, "engines-data");
  const run = await runReplScript(
    script,
    ["repl", "--local", "1", "--data-dir", dataDir],
    { IPX_DIR: ipxDir, TMPDIR: ipxDir },
    cwd,
  );
  assert.deepEqual(await processesMatching(dataDir), [], "no engine process is left behind");
  return run;
}

Deno.test("repl: a local cell's import() takes ./ and ../ from the REPL's directory", async () => {
  await using ipx = await tempIpxDir();
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ipx_import_" }));
  try {
    const work = join(root, "work");
    await Deno.mkdir(join(work, "lib"), { recursive: true });
    await Deno.mkdir(join(root, "data"));
    await Deno.writeTextFile(
      join(work, "helpers.ts"),
      'export const where: string = "work";\nexport default (n: number) => n * 2;\n',
    );
    await Deno.writeTextFile(join(work, "lib", "util.ts"), 'export const where = "lib";\n');
    await Deno.writeTextFile(join(root, "data", "x.json"), '{ "n": 7 }\n');
    // where Deno alone takes "./helpers.ts" of a script: beside the directory, not in it
    await Deno.writeTextFile(join(root, "helpers.ts"), 'export const where = "beside";\n');
    const util = pathToFileURL(join(work, "lib", "util.ts")).href;

    const run = await replIn(
      work,
      ipx.path,
      [
        'const h = await import("./helpers.ts")',
        "[h.where, h.default(21)]",
        'const x = await import("../data/x.json", { with: { type: "json" } })',
        "x.default.n",
        'const { basename } = await import("node:path"); basename("/a/b.ts")',
        `(await import(${JSON.stringify(join(work, "lib", "util.ts"))})).where`,
        `(await import(${JSON.stringify(util)})).where`,
        '"import(\'./nope.ts\')" // await import("./nope.ts")',
        'import cfg from "../data/x.json" with { type: "json" }',
        'const { default: cfg } = await import("../data/x.json", { with: { type: "json" } })',
        "cfg.n",
        'await import("helpers.ts")',
        "",
      ].join("\n"),
    );
    assert.equal(
      run.stdout,
      [
        'Out[2]: [ "work", 42 ]',
        "Out[4]: 7",
        'Out[5]: "b.ts"',
        'Out[6]: "lib"',
        'Out[7]: "lib"',
        `Out[8]: "import('./nope.ts')"`,
        "Uncaught SyntaxError: Cannot use import statement outside a module; cells are not " +
        "modules: use a dynamic import instead: const { default: cfg } = await " +
        'import("../data/x.json", { with: { type: "json" } }) (relative paths are taken from ' +
        "the current directory)",
        "Out[11]: 7",
        // a bare name is not made relative: Deno's own error, naming the REPL's directory
        'Uncaught TypeError: Import "helpers.ts" not a dependency and not in import map from ' +
        `"${pathToFileURL(work).href}"`,
        "    at async <anonymous>:1:1",
        "",
      ].join("\n"),
    );
    assert.equal(run.code, 0);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
