import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { defineImportScript, DYNAMIC_IMPORT, resolveFromCwd } from "./import_from_cwd.ts";
import { inDir } from "../../tests/_helpers/in_dir.ts";

Deno.test("resolveFromCwd() takes ./ and ../ from the current directory at the call", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ipx-import-cwd-" }));
  try {
    await Deno.mkdir(join(root, "work"));
    const work = join(root, "work");
    const url = (path: string) => pathToFileURL(path).href;
    assert.equal(await inDir(work, () => resolveFromCwd("./m.ts")), url(join(work, "m.ts")));
    assert.equal(
      await inDir(work, () => resolveFromCwd("../d/x.json")),
      url(join(root, "d/x.json")),
    );
    assert.equal(await inDir(root, () => resolveFromCwd("./m.ts")), url(join(root, "m.ts")));
    assert.equal(await inDir(work, () => resolveFromCwd("./a b.ts")), url(join(work, "a b.ts")));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("resolveFromCwd() leaves every other specifier as it is", () => {
  for (
    const other of [
      "node:path",
      "npm:sucrase@3",
      "jsr:@std/path",
      "sucrase",
      "m.ts",
      "/abs/m.ts",
      "file:///abs/m.ts",
      "https://example.com/m.ts",
      ".hidden.ts",
      "..",
      "",
    ]
  ) {
    assert.equal(resolveFromCwd(other), other);
  }
  const object = { toString: () => "./m.ts" };
  assert.equal(resolveFromCwd(object), object);
});

Deno.test("defineImportScript() defines a function that imports the resolved specifier", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ipx-import-cwd-" });
  const g = globalThis as Record<string, unknown>;
  const target: Record<string, unknown> = {};
  try {
    await Deno.writeTextFile(join(dir, "x.json"), '{ "n": 1 }');
    const seen: unknown[] = [];
    g.$test$ipx = {
      target,
      resolve: (s: unknown) => (seen.push(s), s === "X" ? join(dir, "x.json") : s),
    };
    const script = defineImportScript(
      "globalThis.$test$ipx.resolve",
      "globalThis.$test$ipx.target",
    );
    assert.equal((0, eval)(script), undefined);
    const descriptor = Object.getOwnPropertyDescriptor(target, DYNAMIC_IMPORT);
    assert.deepEqual(
      [descriptor?.enumerable, descriptor?.writable, descriptor?.configurable],
      [false, false, false],
    );
    const load = target[DYNAMIC_IMPORT] as (s: unknown, o?: unknown) => Promise<unknown>;
    const json = await load("X", { with: { type: "json" } }) as { default: unknown };
    assert.deepEqual(json.default, { n: 1 });
    assert.equal((await load("node:path") as { sep: string }).sep, "/");
    assert.deepEqual(seen, ["X", "node:path"]);
    assert.equal((0, eval)(script), undefined, "a second definition keeps the first");
    assert.equal(target[DYNAMIC_IMPORT], load);
  } finally {
    delete g.$test$ipx;
    await Deno.remove(dir, { recursive: true });
  }
});
