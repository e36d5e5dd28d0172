/**
 * Where a rewritten `import(…)` of user code goes (see `dynamic_imports.ts`): `./` and `../`
 * specifiers are taken from the current directory at the time of the call, as `deno repl` and
 * Node's REPL do.
 *
 * Code evaluated through the inspector runs as a script without a URL, and Deno (2.9) resolves
 * its `import("./m.ts")` against the current directory written without a trailing slash
 * (`file:///home/me/work`), so `./m.ts` names `/home/me/m.ts` beside the directory instead of
 * the file in it. {@linkcode resolveFromCwd} makes such a specifier an absolute URL; the
 * function that calls it and then `import()` is defined by {@linkcode defineImportScript}'s
 * script, evaluated the way the cells are, so that everything else about the import (a bare
 * name missing from the import map, `npm:`, permissions) goes as for an `import()` written in a
 * cell. This module loads nothing else (no parser).
 *
 * @module
 */

import { pathToFileURL } from "node:url";

/** Name of the global function that rewritten dynamic imports call. */
export const DYNAMIC_IMPORT = "$ipx$import";

const cwdNow = Deno.cwd;

/**
 * What `import(specifier)` should load when written in a module of the current directory:
 * `./` and `../` specifiers become `file:` URLs under `Deno.cwd()` as it is now; every other
 * value (a bare name, `npm:`, `node:`, `jsr:`, an absolute path, a `file:` or `http(s):` URL, a
 * non-string) is returned as it is.
 *
 * @param specifier What the user's code gave `import()`.
 * @returns The specifier to import.
 *
 * @example Usage
 * ```ts ignore
 * import { resolveFromCwd } from "./import_from_cwd.ts";
 * resolveFromCwd("./helpers.ts"); // "file://<cwd>/helpers.ts"
 * resolveFromCwd("node:path"); // "node:path"
 * ```
 */
export function resolveFromCwd(specifier: unknown): unknown {
  if (typeof specifier !== "string" || !/^\.\.?\//.test(specifier)) return specifier;
  let base: URL;
  try {
    base = pathToFileURL(`${cwdNow()}/`);
  } catch {
    return specifier; // no cwd to read (removed, or no permission): let Deno resolve it
  }
  return new URL(specifier, base).href;
}

/**
 * A script that defines {@linkcode DYNAMIC_IMPORT} on the global object (unless it is there
 * already; not enumerable, not writable, not configurable): a function that imports
 * `resolve(specifier)`, with the options when given. Evaluate it as the user's code is
 * evaluated, so that its `import()` has the same referrer. The script's value is `undefined`.
 *
 * @param resolve An expression, in the script's scope, whose value is
 * {@linkcode resolveFromCwd} (or a function like it).
 * @param target An expression for the object to define it on. @default "globalThis"
 * @returns The script's source.
 */
export function defineImportScript(resolve: string, target = "globalThis"): string {
  const name = JSON.stringify(DYNAMIC_IMPORT);
  return `Object.hasOwn(${target}, ${name}) || Object.defineProperty(${target}, ${name}, {
  value: ((resolve) => function importFromCwd(specifier, options) {
    specifier = resolve(specifier);
    return options === undefined ? import(specifier) : import(specifier, options);
  })(${resolve}),
}), undefined`;
}
