import assert from "node:assert/strict";
import { explainError } from "./executor_ops.ts";
import type { SandboxPolicy } from "./sandbox.ts";

const POLICY: SandboxPolicy = {
  dataDir: "/data",
  read: ["/data"],
  write: ["/data"],
  net: false,
  env: false,
};

/** What Deno says for `specifier` in a process run with `--cached-only`, as engines are. */
async function uncachedImportMessage(specifier: string): Promise<string> {
  const code = `try { await import(${JSON.stringify(specifier)}); } ` +
    "catch (e) { console.log(JSON.stringify(e.message)); }";
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--cached-only", "--no-lock", code],
    stdin: "null",
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("an npm import that is not cached says engines never download code, and what to run", async () => {
  // a name no registry has: with --cached-only, Deno fails it without asking one
  const evalue = await uncachedImportMessage("npm:ipx-test-never-cached@1.2.3");
  assert.match(evalue, /--cached-only is specified/, "Deno's message changed: update the test");
  const out = explainError("execute", { ename: "TypeError", evalue, stack: "" }, POLICY, 2);
  assert.equal(out.ename, "TypeError");
  assert.equal(out.engineId, 2);
  assert.equal(
    out.evalue,
    'npm package "ipx-test-never-cached" is not in the module cache of engine 2, and engines ' +
      "never download code (they run with --cached-only: a download would take data past the " +
      "sandbox's network rules). On the engine's machine, as the user running the engines and " +
      "with their DENO_DIR, run `deno cache --no-lock npm:ipx-test-never-cached` (with the " +
      "version your import names, if any; ipx's own deno, when ./ipx installed one, is " +
      ".tools/node_modules/deno/deno in the ipx folder), then reset the namespace with " +
      "dv.clear() or restart the engines (a namespace keeps a failed import until then) and " +
      "import it again",
  );
});

Deno.test("an uncached version of a known package is named with its version", () => {
  const evalue = "Failed caching npm package 'lodash@3.10.1'\n" +
    '    0: npm package not found in cache: "lodash", --cached-only is specified.';
  const out = explainError("apply", { ename: "TypeError", evalue, stack: "" }, POLICY, undefined);
  assert.match(
    out.evalue,
    /^npm package "lodash@3\.10\.1" is not in the module cache of the engine, .* run `deno cache --no-lock npm:lodash@3\.10\.1` \(ipx's own deno/,
  );
});
