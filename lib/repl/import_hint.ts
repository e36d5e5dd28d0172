/**
 * {@linkcode importHint}: what to type instead of a static `import` in a cell. Cells are not
 * modules (locally and on the engines), so `import x from "m"` is a syntax error there; a
 * dynamic `await import("m")` does the same. The hint rewrites the cell's first import when it
 * has a simple form, keeping its attributes (`with { type: "json" }`), and says that a `./` or
 * `../` path is taken from the current directory (the local namespace resolves them there, see
 * `lib/evaluate/import_from_cwd.ts`). Pure.
 *
 * @module
 */

/** An import attributes clause after the specifier: `with { type: "json" }` (or `assert`). */
const ATTRIBUTES = String.raw`(?:\s*(?:with|assert)\s*(\{[^{}]*\}))?`;
const STATIC_IMPORT = new RegExp(
  String.raw`(?:^|[;\n])\s*import\s+(?:type\s+)?([\s\S]*?)\s*\bfrom\s*(["'])([^"'\n]+)\2` +
    ATTRIBUTES + String.raw`|(?:^|[;\n])\s*import\s*(["'])([^"'\n]+)\5` + ATTRIBUTES,
);

/** `{ a, b as c }` → `{ a, b: c }`; undefined when it is not that simple. */
function destructuring(names: string): string | undefined {
  const inner = /^\{([^{}]*)\}$/.exec(names.trim())?.[1];
  if (inner === undefined) return undefined;
  const parts = inner.split(",").map((p) => p.trim()).filter((p) => p !== "");
  const out: string[] = [];
  for (const part of parts) {
    const m = /^(?:type\s+)?([\p{L}$_][\p{L}\p{N}$_]*)(?:\s+as\s+([\p{L}$_][\p{L}\p{N}$_]*))?$/u
      .exec(part);
    if (!m) return undefined;
    out.push(m[2] ? `${m[1]}: ${m[2]}` : m[1]!);
  }
  return `{ ${out.join(", ")} }`;
}

/** `await import("<from>")`, with the attributes of the import when it has some. */
function dynamicImport(from: string, attributes: string | undefined): string {
  const options = attributes === undefined ? "" : `, { with: ${attributes.trim()} }`;
  return `await import(${JSON.stringify(from)}${options})`;
}

/** The dynamic form of `import <names> from "<from>"`, or undefined when not simple. */
function rewrite(names: string, module: string): string | undefined {
  const star = /^\*\s+as\s+([\p{L}$_][\p{L}\p{N}$_]*)$/u.exec(names.trim());
  if (star) return `const ${star[1]} = ${module}`;
  const plain = /^([\p{L}$_][\p{L}\p{N}$_]*)$/u.exec(names.trim());
  if (plain) return `const { default: ${plain[1]} } = ${module}`;
  const list = destructuring(names);
  return list === undefined ? undefined : `const ${list} = ${module}`;
}

/**
 * The hint for a cell whose static `import` failed.
 *
 * @param code The cell.
 * @returns E.g. `; cells are not modules: use a dynamic import instead: const { join } = await
 * import("node:path")`; for a `./` or `../` path, it adds `(relative paths are taken from the
 * current directory)`.
 *
 * @example Usage
 * ```ts
 * import { importHint } from "./import_hint.ts";
 * importHint('import x from "node:path"');
 * // '; cells are not modules: use a dynamic import instead: const { default: x } = await import("node:path")'
 * ```
 */
export function importHint(code: string): string {
  const m = STATIC_IMPORT.exec(code);
  let suggestion: string;
  if (m?.[6] !== undefined) suggestion = dynamicImport(m[6], m[7]);
  else if (m?.[3] !== undefined) {
    const module = dynamicImport(m[3], m[4]);
    suggestion = rewrite(m[1]!, module) ?? `const m = ${module}`;
  } else suggestion = `const m = ${dynamicImport("/abs/path.ts", undefined)}`;
  const relative = /^\.\.?\//.test(m?.[6] ?? m?.[3] ?? "");
  return `; cells are not modules: use a dynamic import instead: ${suggestion}` +
    (relative ? " (relative paths are taken from the current directory)" : "");
}

/**
 * Whether an error is the one a static `import` in a cell raises.
 *
 * @param error What the cell threw.
 * @returns True for V8's and the type stripper's syntax errors about import statements.
 */
export function isStaticImportError(error: unknown): boolean {
  return error instanceof Error && error.name === "SyntaxError" &&
    /import statement|import declarations/.test(error.message);
}
