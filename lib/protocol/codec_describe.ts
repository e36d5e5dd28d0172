/**
 * Describing values for the codec's error messages: a value's type name, what a refused value
 * is, and why a value failed to encode for being circular or too deeply nested, with where.
 *
 * @module
 */

/**
 * The type name of a value for messages: `typeof` for primitives; for objects the constructor's
 * name, else `Symbol.toStringTag` (`Generator`), else what `Object.prototype.toString` says.
 *
 * @param value Any value.
 */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object" && typeof value !== "function") return typeof value;
  try {
    const ctor = (value as { constructor?: unknown }).constructor;
    if (typeof ctor === "function" && ctor.name) return ctor.name;
    const tag = (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
    if (typeof tag === "string" && tag) return tag;
    return Object.prototype.toString.call(value).slice(8, -1);
  } catch {
    return typeof value; // a getter or a proxy trap threw
  }
}

/**
 * What a value the codec refuses is, for messages: `function name`, `symbol description`,
 * `<type name> instance` for objects, else its `typeof`.
 *
 * @param value Any value.
 */
export function describeValue(value: unknown): string {
  if (typeof value === "function") {
    return `function ${value.name || "(anonymous)"}`;
  }
  if (typeof value === "symbol") return `symbol ${String(value.description ?? "")}`.trim();
  if (value !== null && typeof value === "object") return `${typeName(value)} instance`;
  return typeof value;
}

/**
 * Why a value failed to encode for being too deep: where it is circular (the first cycle
 * found), or else where it goes deeper than `maxDepth` levels. Walks the value again, so it is
 * for after an encode failed, never for the encode itself.
 *
 * @param root The value that failed to encode.
 * @param maxDepth The depth limit.
 * @returns A clause such as `it is circular: value.a.self refers back to value.a; …` (with
 * what to do).
 */
export function explainTooDeep(root: unknown, maxDepth: number): string {
  const onPath: object[] = [];
  const segments: string[] = [];
  const done = new Set<object>();
  let deep: string | undefined;
  /** The cycle through `v` or below, as a clause; notes the first too-deep place in `deep`. */
  function visit(v: unknown, depth: number): string | undefined {
    if (v === null || typeof v !== "object" || done.has(v)) return undefined;
    const back = onPath.indexOf(v);
    if (back >= 0) {
      return `it is circular: ${formatPath(segments)} refers back to ${
        formatPath(segments.slice(0, back))
      }; send a copy without the cycle`;
    }
    if (depth > maxDepth) {
      deep ??= `it is nested deeper than ${maxDepth} levels (at ${formatPath(segments)})`;
      return undefined;
    }
    onPath.push(v);
    try {
      for (const [segment, child, levels] of children(v)) {
        segments.push(segment);
        const found = visit(child, depth + levels);
        segments.pop();
        if (found !== undefined) return found;
      }
    } finally {
      onPath.pop();
    }
    done.add(v);
    return undefined;
  }
  const where = visit(root, 1) ?? deep ?? `it is nested deeper than ${maxDepth} levels`;
  return where.startsWith("it is circular")
    ? where
    : `${where}; send it less deeply nested (a Map, Set or Error counts as two levels)`;
}

/** The parts of a value the encoder descends into: path segment, value, levels below. */
function* children(v: object): Generator<[string, unknown, number]> {
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date) return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) yield [`[${i}]`, v[i], 1];
    return;
  }
  if (v instanceof Map) {
    let i = 0;
    for (const [k, val] of v) {
      yield [`.keys()[${i++}]`, k, 2];
      yield [`.get(${formatKey(k)})`, val, 2];
    }
    return;
  }
  if (v instanceof Set) {
    let i = 0;
    for (const member of v) yield [`.values()[${i++}]`, member, 2];
    return;
  }
  if (v instanceof Error) {
    yield [".cause", v.cause, 2];
    if (v instanceof AggregateError && Array.isArray(v.errors)) {
      for (let i = 0; i < v.errors.length; i++) yield [`.errors[${i}]`, v.errors[i], 3];
    }
  }
  for (const key of Object.keys(v)) {
    let child: unknown;
    try {
      child = (v as Record<string, unknown>)[key];
    } catch {
      continue;
    }
    yield [/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`, child, 1];
  }
}

function formatKey(k: unknown): string {
  if (typeof k === "string") return JSON.stringify(k.length > 20 ? `${k.slice(0, 20)}…` : k);
  if (typeof k === "bigint") return `${k}n`;
  if (k === null || typeof k !== "object") return String(k);
  return `<${typeName(k)}>`;
}

/** `value` and the segments, the middle left out when there are many. */
function formatPath(segments: string[]): string {
  if (segments.length <= 12) return `value${segments.join("")}`;
  return `value${segments.slice(0, 5).join("")}…${
    segments.slice(-5).join("")
  } (${segments.length} levels down)`;
}
