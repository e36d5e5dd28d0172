/**
 * The settings of one parallel execution (`%px`, `%%px`, `%autopx`): the defaults that
 * `%pxconfig` changes, and the per-cell overrides of `%%px` options.
 *
 * @module
 */

import { MagicUsageError } from "./errors.ts";
import type { ParsedOptions } from "./magic_args.ts";
import { formatTargetSpec, parseTargetSpec, type TargetSpec } from "./target_spec.ts";

/** How outputs are grouped when they are not streamed. */
export type GroupOutputs = "engine" | "order" | "type";

/** Settings of a parallel execution. */
export interface PxConfig {
  /** Which engines; resolved against the registered ids at each run. */
  targets: TargetSpec;
  /** Wait for the result and show it. */
  block: boolean;
  /** Print output while the code runs. */
  stream: boolean;
  /** Grouping of outputs when not streamed. */
  groupOutputs: GroupOutputs;
}

/** The settings a REPL starts with: all engines, blocking, streamed, grouped by engine. */
export const DEFAULT_PX_CONFIG: Readonly<PxConfig> = Object.freeze<PxConfig>({
  targets: { kind: "all" },
  block: true,
  stream: true,
  groupOutputs: "engine",
});

/**
 * Applies parsed `%%px`/`%pxconfig` options to a config.
 *
 * @param base The config to start from (not changed).
 * @param options Parsed options (by long name).
 * @returns A new config.
 * @throws {TargetSpecError} for a bad `--targets`.
 *
 * @example Usage
 * ```ts
 * import { applyPxOptions, DEFAULT_PX_CONFIG } from "./px_config.ts";
 * applyPxOptions(DEFAULT_PX_CONFIG, new Map([["--noblock", true]])).block; // false
 * ```
 */
export function applyPxOptions(base: Readonly<PxConfig>, options: ParsedOptions): PxConfig {
  const next: PxConfig = { ...base };
  const targets = options.get("--targets");
  if (typeof targets === "string") next.targets = parseTargetSpec(targets);
  if (options.has("--block")) next.block = true;
  if (options.has("--noblock")) next.block = false;
  if (options.has("--stream")) next.stream = true;
  if (options.has("--no-stream")) next.stream = false;
  const group = options.get("--group-outputs");
  if (typeof group === "string") next.groupOutputs = group as GroupOutputs;
  return next;
}

/**
 * The `-o NAME` of a `%%px`, checked to be a plain identifier.
 *
 * @param options Parsed options.
 * @returns The name, or undefined when not given.
 * @throws {MagicUsageError} when it is not an identifier.
 */
export function outputName(options: ParsedOptions): string | undefined {
  const name = options.get("--out");
  if (name === undefined || name === true) return undefined;
  if (!/^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u.test(name)) {
    throw new MagicUsageError(
      `Cannot bind the result to "${name}": it is not a variable name; use e.g. -o result`,
    );
  }
  return name;
}

/**
 * One line describing a config, as `%pxconfig` prints it.
 *
 * @param config The config.
 * @param ids The engines the targets select now (shown when they differ from the spec).
 * @returns E.g. `%pxconfig: --targets ::2 (engines 0,2) --block --stream --group-outputs engine`.
 */
export function describePxConfig(config: Readonly<PxConfig>, ids?: readonly number[]): string {
  const spec = formatTargetSpec(config.targets);
  const now = ids && ids.join(",") !== spec ? ` (engines ${ids.join(",")})` : "";
  return `%pxconfig: --targets ${spec}${now} ${config.block ? "--block" : "--noblock"} ` +
    `${config.stream ? "--stream" : "--no-stream"} --group-outputs ${config.groupOutputs}`;
}
