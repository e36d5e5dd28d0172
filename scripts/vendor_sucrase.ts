/**
 * Builds `lib/evaluate/vendor/sucrase.js`: sucrase (the TypeScript stripper and tokenizer of
 * user code, pinned in deno.json) and its dependencies as one minified ES module, with
 * `LICENSES.txt` beside it.
 *
 * Why: sucrase ships CommonJS, which Deno loads file by file through its Node module loader
 * (a stat, a realpath and a compile per file, no code cache): ~80 ms of CPU in every engine
 * process at start. One ES module loads through Deno's own loader, with V8's code cache.
 *
 * Usage: `deno task vendor` after changing sucrase's version in deno.json (then commit both
 * files); `deno task vendor --check` rebuilds into a temporary directory and exits 1 when the
 * committed files differ from what the pinned version builds. Needs `deno bundle`, which
 * fetches esbuild from the npm registry on its first use.
 *
 * @module
 */

import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const ENTRY = join(ROOT, "scripts/_vendor/sucrase_entry.ts");
/** Where the bundle and its licenses live. */
export const VENDOR_DIR: string = join(ROOT, "lib/evaluate/vendor");
/** The files this script writes, by name in {@linkcode VENDOR_DIR}. */
export const OUTPUTS = ["sucrase.js", "LICENSES.txt"] as const;

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
 * The first line of the bundle names its types and what it holds (the version check in
 * `lib/evaluate/sucrase_bundle_test.ts` reads the `sucrase@VERSION` in it).
 *
 * @param packages What went in.
 * @returns The header lines.
 */
export function bundleHeader(packages: BundledPackage[]): string {
  const list = packages.map((p) => `${p.name}@${p.version}`).join(", ");
  return `// @ts-self-types="./sucrase.d.ts"\n` +
    `// Bundled from ${list} by scripts/vendor_sucrase.ts (deno task vendor); do not edit. ` +
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

async function denoBundle(out: string, minify: boolean): Promise<void> {
  const args = ["bundle", "--config", join(ROOT, "deno.json"), "--quiet", "-o", out];
  if (minify) args.push("--minify");
  const result = await new Deno.Command(Deno.execPath(), {
    args: [...args, ENTRY],
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
 * Builds the bundle and its licenses into a directory.
 *
 * @param outDir Where to write {@linkcode OUTPUTS}.
 * @returns The packages bundled.
 */
export async function build(outDir: string): Promise<BundledPackage[]> {
  const tmp = await Deno.makeTempDir({ prefix: "ipx-vendor-" });
  try {
    await denoBundle(join(tmp, "plain.js"), false);
    await denoBundle(join(tmp, "min.js"), true);
    const packages = bundledPackages(await Deno.readTextFile(join(tmp, "plain.js")), ROOT);
    if (!packages.some((p) => p.name === "sucrase")) {
      throw new Error("the bundle holds no sucrase: did esbuild's module comments change?");
    }
    const licenses = [];
    for (const p of packages) {
      licenses.push(`==== ${p.name}@${p.version} ====\n\n${await licenseText(p.dir)}\n`);
    }
    await Deno.mkdir(outDir, { recursive: true });
    const code = await Deno.readTextFile(join(tmp, "min.js"));
    await Deno.writeTextFile(join(outDir, "sucrase.js"), bundleHeader(packages) + code);
    await Deno.writeTextFile(
      join(outDir, "LICENSES.txt"),
      `Licenses of the packages bundled into sucrase.js.\n\n${licenses.join("\n")}`,
    );
    return packages;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ args: Deno.args, options: { check: { type: "boolean" } } });
  if (!values.check) {
    const packages = await build(VENDOR_DIR);
    console.log(
      `wrote ${OUTPUTS.map((f) => join(VENDOR_DIR, f)).join(" and ")} from ` +
        packages.map((p) => `${p.name}@${p.version}`).join(", "),
    );
    return 0;
  }
  const tmp = await Deno.makeTempDir({ prefix: "ipx-vendor-check-" });
  try {
    await build(tmp);
    const stale = [];
    for (const f of OUTPUTS) {
      const committed = await Deno.readTextFile(join(VENDOR_DIR, f)).catch(() => "");
      if (committed !== await Deno.readTextFile(join(tmp, f))) stale.push(f);
    }
    if (stale.length) {
      console.error(
        `${stale.join(", ")} in ${VENDOR_DIR} differ from what the pinned sucrase builds: ` +
          `run \`deno task vendor\` and commit the result`,
      );
      return 1;
    }
    console.log(`${VENDOR_DIR}: up to date`);
    return 0;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main());
