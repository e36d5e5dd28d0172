/**
 * Builds the vendored bundles, each one minified ES module of npm packages pinned in deno.json,
 * with a `LICENSES.txt` beside it:
 * - `lib/evaluate/vendor/sucrase.js`: sucrase, the TypeScript stripper and tokenizer of user
 *   code, and its dependencies. sucrase ships CommonJS, which Deno loads file by file through
 *   its Node module loader (a stat, a realpath and a compile per file, no code cache): ~80 ms of
 *   CPU in every engine process at start. One ES module loads through Deno's own loader, with
 *   V8's code cache.
 * - `lib/protocol/vendor/msgpack.js`: @msgpack/msgpack, the wire codec. Bundled, it is one file
 *   instead of ~20 resolved through Deno's npm cache (~6 ms of CPU in each process), and an
 *   engine's code then needs no npm package at all: engines run with `--cached-only`, and there
 *   is nothing to put into Deno's cache before they start.
 *
 * Usage: `deno task vendor` after changing a bundled package's version in deno.json (then commit
 * the files); `deno task vendor --check` rebuilds into a temporary directory and exits 1 when
 * the committed files differ from what the pinned versions build. Needs `deno bundle`, which
 * fetches esbuild from the npm registry on its first use.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** One vendored bundle. */
export interface Bundle {
  /** The bundle's file name (`NAME.js`, typed by `NAME.d.ts` beside it). */
  file: string;
  /** The entry module (in `scripts/_vendor/`) saying what the bundle exports. */
  entry: string;
  /** Where the bundle and its `LICENSES.txt` live, from the repository root. */
  dir: string;
  /** The package the bundle is for (the build fails if it is not in it). */
  main: string;
}

/** The vendored bundles. */
export const BUNDLES: readonly Bundle[] = [
  {
    file: "sucrase.js",
    entry: "scripts/_vendor/sucrase_entry.ts",
    dir: "lib/evaluate/vendor",
    main: "sucrase",
  },
  {
    file: "msgpack.js",
    entry: "scripts/_vendor/msgpack_entry.ts",
    dir: "lib/protocol/vendor",
    main: "@msgpack/msgpack",
  },
];

/** The files a bundle's build writes, by name in its directory. */
export function outputs(bundle: Bundle): string[] {
  return [bundle.file, "LICENSES.txt"];
}

/** A package that went into the bundle. */
export interface BundledPackage {
  /** npm name, e.g. `@jridgewell/gen-mapping`. */
  name: string;
  /** Its version. */
  version: string;
  /** Its directory in Deno's npm cache. */
  dir: string;
}

/**
 * The npm packages an unminified `deno bundle` output came from, read from esbuild's
 * per-module path comments (`// ../../…/registry.npmjs.org/NAME/VERSION/…`).
 *
 * @param bundle The unminified bundle's text.
 * @param cwd The directory the bundle was built from (its comments' paths are relative to it).
 * @returns The packages, sorted by name.
 */
export function bundledPackages(bundle: string, cwd: string): BundledPackage[] {
  const found = new Map<string, BundledPackage>();
  const comment = /^\/\/ (\S*\/registry\.npmjs\.org\/)((?:@[^/\s]+\/)?[^/\s]+)\/([^/\s]+)\//gm;
  for (const m of bundle.matchAll(comment)) {
    const [, prefix, name, version] = m as unknown as [string, string, string, string];
    const key = `${name}@${version}`;
    if (!found.has(key)) {
      found.set(key, { name, version, dir: resolve(cwd, prefix, name, version) });
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The first line of the bundle names its types, the second what it holds (the version checks in
 * `lib/evaluate/sucrase_bundle_test.ts` and `lib/protocol/msgpack_bundle_test.ts` read the
 * `NAME@VERSION` in it).
 *
 * @param file The bundle's file name (`NAME.js`).
 * @param packages What went in.
 * @returns The header lines.
 */
export function bundleHeader(file: string, packages: BundledPackage[]): string {
  const list = packages.map((p) => `${p.name}@${p.version}`).join(", ");
  return `// @ts-self-types="./${file.replace(/\.js$/, ".d.ts")}"\n` +
    `// Bundled from ${list} by scripts/vendor.ts (deno task vendor); do not edit. ` +
    `Licenses: LICENSES.txt.\n`;
}

async function licenseText(dir: string): Promise<string> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /^licen[cs]e(\.(md|txt))?$/i.test(entry.name)) {
      return (await Deno.readTextFile(join(dir, entry.name))).trim();
    }
  }
  throw new Error(`no LICENSE file in ${dir}: cannot vendor a package without its license`);
}

async function denoBundle(entry: string, out: string, minify: boolean): Promise<void> {
  const args = ["bundle", "--config", join(ROOT, "deno.json"), "--quiet", "-o", out];
  if (minify) args.push("--minify");
  const result = await new Deno.Command(Deno.execPath(), {
    args: [...args, join(ROOT, entry)],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(
      `deno bundle failed: ${new TextDecoder().decode(result.stderr).trim()}; ` +
        `it fetches esbuild from the npm registry on first use: check that the registry is reachable`,
    );
  }
}

/**
 * Builds one bundle and its licenses into a directory.
 *
 * @param bundle Which bundle.
 * @param outDir Where to write its {@linkcode outputs}.
 * @returns The packages bundled.
 */
export async function build(bundle: Bundle, outDir: string): Promise<BundledPackage[]> {
  const tmp = await Deno.makeTempDir({ prefix: "ipx-vendor-" });
  try {
    await denoBundle(bundle.entry, join(tmp, "plain.js"), false);
    await denoBundle(bundle.entry, join(tmp, "min.js"), true);
    const packages = bundledPackages(await Deno.readTextFile(join(tmp, "plain.js")), ROOT);
    if (!packages.some((p) => p.name === bundle.main)) {
      throw new Error(
        `the bundle holds no ${bundle.main}: did esbuild's module comments change?`,
      );
    }
    const licenses = [];
    for (const p of packages) {
      licenses.push(`==== ${p.name}@${p.version} ====\n\n${await licenseText(p.dir)}\n`);
    }
    await Deno.mkdir(outDir, { recursive: true });
    const code = await Deno.readTextFile(join(tmp, "min.js"));
    await Deno.writeTextFile(join(outDir, bundle.file), bundleHeader(bundle.file, packages) + code);
    await Deno.writeTextFile(
      join(outDir, "LICENSES.txt"),
      `Licenses of the packages bundled into ${bundle.file}.\n\n${licenses.join("\n")}`,
    );
    return packages;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ args: Deno.args, options: { check: { type: "boolean" } } });
  let stale = 0;
  for (const bundle of BUNDLES) {
    const dir = join(ROOT, bundle.dir);
    if (!values.check) {
      const packages = await build(bundle, dir);
      console.log(
        `wrote ${outputs(bundle).map((f) => join(dir, f)).join(" and ")} from ` +
          packages.map((p) => `${p.name}@${p.version}`).join(", "),
      );
      continue;
    }
    const tmp = await Deno.makeTempDir({ prefix: "ipx-vendor-check-" });
    try {
      await build(bundle, tmp);
      const differ = [];
      for (const f of outputs(bundle)) {
        const committed = await Deno.readTextFile(join(dir, f)).catch(() => "");
        if (committed !== await Deno.readTextFile(join(tmp, f))) differ.push(f);
      }
      if (differ.length) {
        stale++;
        console.error(
          `${differ.join(", ")} in ${dir} differ from what the pinned ${bundle.main} builds: ` +
            `run \`deno task vendor\` and commit the result`,
        );
      } else {
        console.log(`${dir}: up to date`);
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  }
  return stale ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
