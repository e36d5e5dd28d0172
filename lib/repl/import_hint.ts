/**
 * {@linkcode importHint}: what to type instead of a static `import` in a cell. Cells are not
 * modules (locally and on the engines), so `import x from "m"` is a syntax error there; a
 * dynamic `await import("m")` does the same. The hint rewrites the cell's first import when it
 * has a simple form. Pure.
 *
 * @module
 */

const STATIC_IMPORT =
  /(?:^|[;\n])\s*import\s+(?:type\s+)?([\s\S]*?)\s*\bfrom\s*(["'])([^"'\n]+)\2|(?:^|[;\n])\s*import\s*(["'])([^"'\n]+)\4/;

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

/** The dynamic form of `import <names> from "<from>"`, or undefined when not simple. */
function rewrite(names: string, from: string): string | undefined {
  const module = `await import(${JSON.stringify(from)})`;
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
 * import("node:path")`.
 *
 * @example Usage
 * ```ts
 * import { importHint } from "./import_hint.ts";
 * importHint('import x from "./m.ts"');
 * // '; cells are not modules: use a dynamic import instead: const { default: x } = await import("./m.ts")'
 * ```
 */
export function importHint(code: string): string {
  const m = STATIC_IMPORT.exec(code);
  const suggestion = m?.[5] !== undefined
    ? `await import(${JSON.stringify(m[5])})`
    : (m?.[3] !== undefined ? rewrite(m[1]!, m[3]) : undefined) ??
      `const m = await import(${JSON.stringify(m?.[3] ?? "/abs/path.ts")})`;
  return `; cells are not modules: use a dynamic import instead: ${suggestion}`;
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
