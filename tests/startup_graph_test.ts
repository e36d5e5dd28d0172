// Every ipx command loads main.ts's static imports before it does anything, so they are kept
// small: the commands' own implementations load on demand (dynamic imports), and nothing
// heavy that most commands do not need loads up front.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

interface InfoDependency {
  specifier: string;
  isDynamic?: boolean;
  code?: { specifier: string };
}

/**
 * The modules a root loads: before its first line runs (its static import closure), or ever
 * (`dynamic`: its dynamic imports too). Type-only dependencies do not count: nothing loads them.
 */
async function closure(root: string, dynamic = false): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", `${ROOT}deno.json`, `${ROOT}${root}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: { specifier: string; dependencies?: InfoDependency[] }[];
  };
  const deps = new Map(info.modules.map((m) => [m.specifier, m.dependencies ?? []]));
  const seen = new Set<string>();
  const stack = [...info.roots];
  for (let s = stack.pop(); s !== undefined; s = stack.pop()) {
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of deps.get(s) ?? []) {
      if ((dynamic || !d.isDynamic) && d.code) stack.push(d.code.specifier);
    }
  }
  return seen;
}

Deno.test("main.ts loads no node:crypto, no sucrase and none of the controller, engine or client up front", async () => {
  const loaded = await closure("main.ts");
  const local = [...loaded].filter((s) => s.startsWith("file:"))
    .map((s) => s.slice(`file://${ROOT}`.length));
  assert.ok(local.includes("cmd/cluster.ts"), `the closure is main.ts's: ${local.join(", ")}`);
  // node:crypto costs every command ~15 ms to load; only commands that authenticate need it
  assert.ok(!loaded.has("node:crypto"), "main.ts's static imports load node:crypto");
  const npm = [...loaded].filter((s) => s.startsWith("npm:"));
  assert.deepEqual(npm.map((s) => s.replace(/@[^@/]+$/, "")), ["npm:commander"]);
  const heavy = local.filter((s) =>
    /^lib\/(controller|client|engine|evaluate)\//.test(s) &&
    // small pieces the commands check arguments with
    !["lib/controller/tls_off.ts", "lib/engine/key_reach.ts"].includes(s)
  );
  assert.deepEqual(heavy, [], "loaded by every command; import them where they are used");
});

Deno.test("an engine's code and the library load no package from Deno's cache: engines run --cached-only with nothing cached for them first, and a script importing mod.ts needs no registry", async () => {
  // the engine process, its code Worker (started by URL, so a root of its own), the library
  for (const root of ["lib/engine/process_main.ts", "lib/engine/worker.ts", "mod.ts"]) {
    const loaded = await closure(root, true);
    assert.ok(loaded.has(`file://${ROOT}lib/protocol/codec.ts`), `the closure is ${root}'s`);
    const fetched = [...loaded].filter((s) => !/^(file|node):/.test(s));
    assert.deepEqual(fetched, [], `${root} loads packages; vendor them (scripts/vendor.ts)`);
  }
});

Deno.test("engines and clients load node:crypto only when they need it: per-frame MACs over plain TCP, or a reissued certificate", async () => {
  // node:crypto costs an engine process ~20 ms of CPU before it registers (README, Performance)
  for (const root of ["lib/engine/process_main.ts", "lib/engine/worker.ts", "mod.ts"]) {
    const upFront = await closure(root);
    assert.ok(upFront.has(`file://${ROOT}lib/protocol/codec.ts`), `the closure is ${root}'s`);
    assert.ok(!upFront.has("node:crypto"), `${root}'s static imports load node:crypto`);
  }
  // and where they do need it, it is there to load
  const ever = await closure("mod.ts", true);
  for (const lazy of ["lib/protocol/frame_mac.ts", "lib/protocol/cert_chain.ts"]) {
    assert.ok(ever.has(`file://${ROOT}${lazy}`), `mod.ts never loads ${lazy}`);
  }
  assert.ok(ever.has("node:crypto"));
});
