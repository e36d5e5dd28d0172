/**
 * The `--targets` spec of `%%px` and `%pxconfig`: `all`, an engine id (`3`), a comma list
 * (`0,2,5`), or a Python slice into the sorted ids of the engines registered at run time
 * (`::2`, `1:3`, `-2:`). A negative integer alone (`-1`) is an index into those ids, as in
 * ipyparallel, so `-1` is the last engine.
 *
 * @module
 */

import { TargetSpecError } from "./errors.ts";

/** A parsed `--targets` spec; resolve it with {@linkcode resolveTargets} at run time. */
export type TargetSpec =
  | { kind: "all" }
  | { kind: "list"; items: number[] }
  | { kind: "slice"; start?: number; stop?: number; step?: number };

const INT = /^-?\d+$/;

function sliceBound(text: string, spec: string): number | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  if (!INT.test(t)) {
    throw new TargetSpecError(
      `Cannot parse --targets "${spec}": "${t}" is not an integer; use all, an id (2), ` +
        `a list (0,2) or a slice (::2, 1:3, -1)`,
    );
  }
  return Number(t);
}

/**
 * Parses a `--targets` spec.
 *
 * @param text The spec as typed, e.g. `"::2"`.
 * @returns The parsed spec.
 * @throws {TargetSpecError} when it does not parse.
 *
 * @example Usage
 * ```ts
 * import { parseTargetSpec } from "./target_spec.ts";
 * parseTargetSpec("1:3"); // { kind: "slice", start: 1, stop: 3 }
 * ```
 */
export function parseTargetSpec(text: string): TargetSpec {
  const spec = text.trim();
  if (spec === "" || spec === "all") return { kind: "all" };
  if (spec.includes(":")) {
    const parts = spec.split(":");
    if (parts.length > 3) {
      throw new TargetSpecError(
        `Cannot parse --targets "${spec}": a slice has at most two colons (start:stop:step)`,
      );
    }
    const [start, stop, step] = parts.map((p) => sliceBound(p, spec));
    if (step === 0) {
      throw new TargetSpecError(`Cannot use --targets "${spec}": the slice step must not be 0`);
    }
    return {
      kind: "slice",
      ...(start !== undefined ? { start } : {}),
      ...(stop !== undefined ? { stop } : {}),
      ...(step !== undefined ? { step } : {}),
    };
  }
  const items = spec.split(",").map((p) => p.trim());
  if (items.some((p) => !INT.test(p))) {
    throw new TargetSpecError(
      `Cannot parse --targets "${spec}": use all, an id (2), a list (0,2) or a slice (::2, 1:3, -1)`,
    );
  }
  return { kind: "list", items: items.map(Number) };
}

/**
 * The indices a Python slice selects from a sequence of `length` items.
 *
 * @param slice Start, stop and step (any may be missing or negative).
 * @param length The sequence length.
 * @returns The selected indices, in slice order.
 */
export function sliceIndices(
  slice: { start?: number; stop?: number; step?: number },
  length: number,
): number[] {
  const step = slice.step ?? 1;
  const clamp = (v: number | undefined, low: number, high: number, fallback: number) => {
    if (v === undefined) return fallback;
    const abs = v < 0 ? v + length : v;
    return Math.min(Math.max(abs, low), high);
  };
  const out: number[] = [];
  if (step > 0) {
    const start = clamp(slice.start, 0, length, 0);
    const stop = clamp(slice.stop, 0, length, length);
    for (let i = start; i < stop; i += step) out.push(i);
  } else {
    const start = clamp(slice.start, -1, length - 1, length - 1);
    const stop = clamp(slice.stop, -1, length - 1, -1);
    for (let i = start; i > stop; i += step) out.push(i);
  }
  return out;
}

/**
 * The engine ids a spec selects among the registered ones.
 *
 * @param spec The parsed spec.
 * @param ids The registered engine ids (any order; slices index the sorted ids).
 * @returns The selected ids, in spec order.
 * @throws {TargetSpecError} when it selects no engine or names one that is not registered.
 *
 * @example Usage
 * ```ts
 * import { parseTargetSpec, resolveTargets } from "./target_spec.ts";
 * resolveTargets(parseTargetSpec("::2"), [0, 1, 2, 3]); // [0, 2]
 * ```
 */
export function resolveTargets(spec: TargetSpec, ids: readonly number[]): number[] {
  const sorted = [...ids].sort((a, b) => a - b);
  const registered = sorted.length ? sorted.join(",") : "none";
  let out: number[];
  if (spec.kind === "all") out = sorted;
  else if (spec.kind === "slice") out = sliceIndices(spec, sorted.length).map((i) => sorted[i]!);
  else {
    out = spec.items.map((item) => {
      if (item >= 0) {
        if (!sorted.includes(item)) {
          throw new TargetSpecError(
            `Cannot target engine ${item}: it is not registered (engines: ${registered}); ` +
              `%engines lists them`,
          );
        }
        return item;
      }
      const id = sorted[sorted.length + item];
      if (id === undefined) {
        throw new TargetSpecError(
          `Cannot target index ${item}: only ${sorted.length} engines are registered ` +
            `(engines: ${registered})`,
        );
      }
      return id;
    });
  }
  if (out.length === 0) {
    throw new TargetSpecError(
      `No engine selected by --targets ${formatTargetSpec(spec)} (engines: ${registered}); ` +
        `start engines or change the targets with %pxconfig --targets all`,
    );
  }
  return out;
}

/**
 * Writes a spec back as it would be typed.
 *
 * @param spec The parsed spec.
 * @returns E.g. `all`, `0,2` or `::2`.
 */
export function formatTargetSpec(spec: TargetSpec): string {
  if (spec.kind === "all") return "all";
  if (spec.kind === "list") return spec.items.join(",");
  const s = (v: number | undefined) => (v === undefined ? "" : String(v));
  return `${s(spec.start)}:${s(spec.stop)}${spec.step === undefined ? "" : `:${spec.step}`}`;
}
