/**
 * Enforces ipx's import direction:
 *
 * ```text
 * lib/protocol  ← lib/profile ← lib/controller | lib/engine | lib/client ← lib/repl ← cmd ← main.ts
 * lib/evaluate  ← lib/engine | lib/repl
 * ```
 *
 * - `lib/protocol` imports nothing else in `lib/`.
 * - `lib/evaluate` (evaluating user code: TypeScript stripping, inspector shapes) imports
 *   nothing else in `lib/`; the engines and the REPL's local namespace share it.
 * - `lib/profile` may import `lib/protocol`.
 * - `lib/controller`, `lib/engine`, `lib/client` may import `lib/protocol` and `lib/profile`,
 *   not each other; `lib/engine` may also import `lib/evaluate`.
 * - `lib/repl` may import `lib/client`, `lib/protocol`, `lib/profile`, `lib/evaluate`.
 * - `cmd/` may import any of `lib/`; `main.ts` imports `cmd/` (and `deno.json`); `mod.ts`
 *   re-exports `lib/`.
 * - A `_name.ts` file is private to its area of `lib/`.
 * - Outside packages come from `node:` or from a bare name listed in deno.json "imports"
 *   (no `npm:`, `jsr:` or URL specifiers in code).
 *
 * Test files (`*_test.ts`) are exempt from the direction rules (not from the package rule):
 * they may wire several areas together. Files under `tests/` and `scripts/` are not checked.
 *
 * Usage: `deno run --allow-read scripts/check_deps.ts [root]` (default: this repository).
 * Prints each violation as `file:line: message` and exits 1 if there are any.
 *
 * @module
 */

import { dirname, extname, join, normalize, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { findImports } from "./_import_scan.ts";

/** Which areas each area may import (besides itself). `lib/*` means every area of lib/. */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  "lib/protocol": [],
  "lib/evaluate": [],
  "lib/profile": ["lib/protocol"],
  "lib/controller": ["lib/protocol", "lib/profile"],
  "lib/engine": ["lib/protocol", "lib/profile", "lib/evaluate"],
  "lib/client": ["lib/protocol", "lib/profile"],
  "lib/repl": ["lib/client", "lib/protocol", "lib/profile", "lib/evaluate"],
  "cmd": ["lib/*"],
  "main.ts": ["cmd", "deno.json"],
  "mod.ts": ["lib/*"],
};

/** One broken rule. */
export interface Violation {
  /** The importing file, relative to the root, with `/` separators. */
  file: string;
  /** 1-based line of the import. */
  line: number;
  /** The specifier as written. */
  specifier: string;
  /** What rule it breaks and what to do. */
  message: string;
}

/** The outcome of {@linkcode checkDeps}. */
export interface CheckDepsResult {
  /** Files scanned. */
  files: number;
  /** Imports examined. */
  imports: number;
  /** Rule violations, sorted by file and line. */
  violations: Violation[];
}

const SOURCE_EXTENSIONS = new Set([".ts", ".tsx", ".js", ".mjs", ".mts"]);

/**
 * The area a repository-relative path belongs to: `lib/<name>`, `cmd`, or the top-level file
 * or directory name.
 *
 * @param rel A path relative to the root, with `/` separators.
 * @returns The area.
 */
export function areaOf(rel: string): string {
  const parts = rel.split("/");
  if (parts[0] === "lib" && parts.length > 2) return `lib/${parts[1]}`;
  return parts[0] ?? rel;
}

/**
 * Checks every source file under `lib/` and `cmd/`, and `main.ts` and `mod.ts`, of a root.
 *
 * @param root The repository root; its deno.json "imports" lists the allowed packages.
 * @returns What was scanned and every violation.
 */
export async function checkDeps(root: string): Promise<CheckDepsResult> {
  const packages = await importMapKeys(root);
  const files: string[] = [];
  for (const top of ["lib", "cmd"]) await collect(root, top, files);
  for (const file of ["main.ts", "mod.ts"]) {
    if (await exists(join(root, file))) files.push(file);
  }
  const violations: Violation[] = [];
  let imports = 0;
  for (const file of files.sort()) {
    const source = await Deno.readTextFile(join(root, file));
    for (const ref of findImports(source)) {
      imports++;
      const message = judge(root, file, ref.specifier, packages);
      if (message) violations.push({ file, line: ref.line, specifier: ref.specifier, message });
    }
  }
  return { files: files.length, imports, violations };
}

/** Returns why `file` must not import `specifier`, or undefined when it may. */
function judge(
  root: string,
  file: string,
  specifier: string,
  packages: readonly string[],
): string | undefined {
  if (!specifier.startsWith(".") && !specifier.startsWith("/")) {
    return judgePackage(specifier, packages);
  }
  if (file.endsWith("_test.ts")) return undefined;
  const from = areaOf(file);
  const target = resolve(root, dirname(file), specifier);
  const rel = relative(root, target).split(sep).join("/");
  if (rel.startsWith("../") || rel === "..") {
    return `imports ${specifier}, which is outside the repository`;
  }
  const to = areaOf(normalize(rel).split(sep).join("/"));
  const rules = ALLOWED[from];
  if (rules === undefined) {
    return `${from} is not a known area; add its rules to ALLOWED in scripts/check_deps.ts`;
  }
  if (to === from) return undefined;
  const allowed = rules.includes(to) || (rules.includes("lib/*") && to.startsWith("lib/"));
  if (!allowed) {
    const may = rules.length === 0 ? "nothing outside itself" : rules.join(", ");
    return `${from} must not import ${to} (${rel}); ${from} may import only ${may}. Move the ` +
      "shared code down (usually into lib/protocol) or invert the dependency";
  }
  const base = rel.split("/").pop() ?? "";
  if (to.startsWith("lib/") && base.startsWith("_")) {
    return `${rel} is private to ${to} (leading "_"); import it from ${to}/mod.ts or a public ` +
      "file instead";
  }
  return undefined;
}

function judgePackage(specifier: string, packages: readonly string[]): string | undefined {
  if (specifier.startsWith("node:")) return undefined;
  const known = packages.some((name) => specifier === name || specifier.startsWith(`${name}/`));
  if (known) return undefined;
  if (/^(npm|jsr|https?|data|file):/.test(specifier)) {
    return `imports ${specifier} directly; list the package in deno.json "imports" (JSR and ` +
      "URLs are not reachable here) and import it by its bare name";
  }
  return `imports ${specifier}, which is not in deno.json "imports"; add it there (an npm ` +
    "package pinned to an exact version) or use a node: built-in";
}

async function importMapKeys(root: string): Promise<string[]> {
  try {
    const config = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
    return Object.keys(config?.imports ?? {}).map((key) => key.replace(/\/$/, ""));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

async function collect(root: string, dir: string, out: string[]): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(join(root, dir)));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory) await collect(root, rel, out);
    else if (entry.isFile && SOURCE_EXTENSIONS.has(extname(entry.name))) out.push(rel);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

if (import.meta.main) {
  const root = Deno.args[0] ?? fileURLToPath(new URL("..", import.meta.url));
  const result = await checkDeps(root);
  for (const v of result.violations) console.error(`${v.file}:${v.line}: ${v.message}`);
  const summary = `check_deps: ${result.files} files, ${result.imports} imports`;
  if (result.violations.length > 0) {
    console.error(`${summary}, ${result.violations.length} violation(s)`);
    Deno.exit(1);
  }
  console.log(`${summary}, no violations`);
}
