import assert from "node:assert/strict";
import { bundledPackages, bundleHeader, BUNDLES } from "./vendor.ts";

Deno.test("bundledPackages() reads each package once from esbuild's module comments", () => {
  const bundle = [
    "var x = 1;",
    "// ../../c/deno/npm/registry.npmjs.org/sucrase/3.35.1/dist/index.js",
    "var a = 1;",
    "// ../../c/deno/npm/registry.npmjs.org/sucrase/3.35.1/dist/parser/index.js",
    "// ../../c/deno/npm/registry.npmjs.org/@jridgewell/gen-mapping/0.3.13/dist/x.umd.js",
    "  // not/a/registry.npmjs.org/comment/1.0/at line start",
    "s = '// ../registry.npmjs.org/inline/9.9/x.js';",
    "// ../../c/deno/npm/registry.npmjs.org/lines-and-columns/1.2.4/build/index.js",
  ].join("\n");
  assert.deepEqual(bundledPackages(bundle, "/w/ipx"), [
    {
      name: "@jridgewell/gen-mapping",
      version: "0.3.13",
      dir: "/c/deno/npm/registry.npmjs.org/@jridgewell/gen-mapping/0.3.13",
    },
    {
      name: "lines-and-columns",
      version: "1.2.4",
      dir: "/c/deno/npm/registry.npmjs.org/lines-and-columns/1.2.4",
    },
    { name: "sucrase", version: "3.35.1", dir: "/c/deno/npm/registry.npmjs.org/sucrase/3.35.1" },
  ]);
});

Deno.test("bundleHeader() names the types first, then every package and version", () => {
  const header = bundleHeader("sucrase.js", [
    { name: "a", version: "1.0.0", dir: "/x" },
    { name: "sucrase", version: "3.35.1", dir: "/y" },
  ]);
  const [types, what, rest] = header.split("\n");
  assert.equal(types, `// @ts-self-types="./sucrase.d.ts"`);
  assert.match(
    what!,
    /^\/\/ Bundled from a@1\.0\.0, sucrase@3\.35\.1 by scripts\/vendor\.ts/,
  );
  assert.equal(rest, "");
  assert.match(bundleHeader("msgpack.js", []), /^\/\/ @ts-self-types="\.\/msgpack\.d\.ts"\n/);
});

Deno.test("each vendored bundle is the version deno.json pins (else: deno task vendor)", async () => {
  const root = new URL("../", import.meta.url);
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  for (const b of BUNDLES) {
    const spec: string = config.imports[b.main];
    const name = b.main.replaceAll("/", "\\/");
    const pinned = new RegExp(`^npm:${name}@([^/\\s]+)`).exec(spec)?.[1];
    assert.ok(pinned, `deno.json pins ${b.main} as npm:${b.main}@VERSION: ${spec}`);
    const header = (await Deno.readTextFile(new URL(`${b.dir}/${b.file}`, root))).split(
      "\n",
      2,
    )[1]!;
    const version = pinned.replaceAll(".", "\\.");
    assert.match(header, new RegExp(`[ ,]${b.main}@${version}[ ,]`), b.file);
    const licenses = await Deno.readTextFile(new URL(`${b.dir}/LICENSES.txt`, root));
    assert.match(licenses, new RegExp(`==== ${b.main}@${version} ====`), b.file);
  }
});
