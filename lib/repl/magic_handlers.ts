/**
 * What each magic of the {@linkcode MAGICS} table does, as a table of handlers keyed by magic
 * name (the compiler checks that every magic has one). Handlers act through the narrow
 * {@linkcode MagicContext} the session provides.
 *
 * @module
 */

import type { Client } from "../client/client.ts";
import { ConnectionError } from "../protocol/errors.ts";
import type { EngineInfo } from "../protocol/messages.ts";
import { MagicUsageError } from "./errors.ts";
import type { Mode } from "./input_reader.ts";
import { parseMagicOptions, parseOptionsAndCode } from "./magic_args.ts";
import { formatHelp, type MagicName, type MagicSpec } from "./magic_table.ts";
import {
  applyPxOptions,
  describePxConfig,
  type GroupOutputs,
  outputName,
  type PxConfig,
} from "./px_config.ts";
import { explainNoEngines } from "./no_engines.ts";
import { formatEnginesTable } from "./render.ts";
import type { ReplConsole } from "./repl_console.ts";
import { resolveTargets } from "./target_spec.ts";

/** The outcome of a cell. */
export interface CellResult {
  /** The cell failed (an error was shown). */
  failed: boolean;
  /** The REPL should end. */
  exit?: boolean;
}

/** What magic handlers may use and change. */
export interface MagicContext {
  /** The client. */
  readonly client: Client;
  /** Output. */
  readonly console: ReplConsole;
  /** Defaults of parallel executions (`%pxconfig` replaces them). */
  pxConfig: PxConfig;
  /** Switches local ⇄ autopx mode; returns the new mode. */
  toggleAutopx(): Mode;
  /**
   * Runs code on the engines the config targets.
   *
   * @param code The code.
   * @param config Targets, blocking, streaming, grouping.
   * @param outName Also bind the AsyncResult to this local name.
   */
  runPx(code: string, config: PxConfig, outName: string | undefined): Promise<CellResult>;
  /**
   * Shows the last parallel execution again (waiting for it if it still runs).
   *
   * @param groupOutputs Grouping of its outputs.
   */
  showLastPx(groupOutputs: GroupOutputs): Promise<CellResult>;
}

/**
 * The ids of a `--targets` list that can never be registered again: missing though a higher id
 * is registered (ids are given in order and never twice, so their engines have left for good).
 */
function goneIds(targets: PxConfig["targets"], live: readonly number[]): number[] {
  if (targets.kind !== "list") return [];
  const newest = Math.max(-1, ...live);
  return targets.items.filter((id) => id >= 0 && id < newest && !live.includes(id));
}

/** A magic call as the session hands it over. */
export interface MagicInput {
  /** The magic's table entry. */
  spec: MagicSpec;
  /** The rest of the magic's line. */
  rest: string;
  /** The lines after a cell magic, joined. */
  body: string | undefined;
}

/** Runs one magic. */
export type MagicHandler = (input: MagicInput, ctx: MagicContext) => Promise<CellResult>;

const OK: CellResult = { failed: false };

/** How long `%engines` waits for the controller's answer. */
const PROBE_MS = 1000;

/**
 * The engines with their current load: the client's list (from registration) updated with the
 * controller's queue counts, so `state` and `queue` are live.
 */
async function liveEngines(client: Client): Promise<EngineInfo[]> {
  // while the client reconnects, a query waits for the link: show the last known state instead
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = await Promise.race([
    client.queueStatus().catch(() => undefined),
    new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), PROBE_MS)),
  ]).finally(() => clearTimeout(timer));
  return client.engines.map((e) => {
    const q = status?.engines[e.id];
    if (!q) return e;
    const load = q.queue + q.tasks;
    const state = load > 0 ? "busy" : e.state === "busy" ? "idle" : e.state;
    return { ...e, queue: load, state };
  });
}

function noArgs(input: MagicInput): void {
  parseMagicOptions(input.spec, input.rest);
}

/** The handler of every magic. */
export const MAGIC_HANDLERS: Readonly<Record<MagicName, MagicHandler>> = {
  "%px": (input, ctx) => {
    const { options, code } = parseOptionsAndCode(input.spec, input.rest);
    const config = applyPxOptions(ctx.pxConfig, options);
    const name = outputName(options);
    if (code === "") {
      throw new MagicUsageError(
        "%px needs code on the same line, after its options: %px [options] CODE " +
          "(e.g. %px 1 + 1, %px --targets 0 1 + 1)",
      );
    }
    return ctx.runPx(code, config, name);
  },
  "%%px": (input, ctx) => {
    const options = parseMagicOptions(input.spec, input.rest);
    const config = applyPxOptions(ctx.pxConfig, options);
    const name = outputName(options);
    if ((input.body ?? "").trim() === "") {
      throw new MagicUsageError(
        "%%px needs code on the lines after it, ended by an empty line; for one line use %px CODE",
      );
    }
    return ctx.runPx(input.body!, config, name);
  },
  "%autopx": (input, ctx) => {
    noArgs(input);
    const mode = ctx.toggleAutopx();
    ctx.console.write(mode === "autopx" ? "%autopx enabled\n" : "%autopx disabled\n");
    return Promise.resolve(OK);
  },
  "%pxresult": (input, ctx) => {
    const options = parseMagicOptions(input.spec, input.rest);
    const group = options.get("--group-outputs");
    return ctx.showLastPx(
      typeof group === "string" ? group as GroupOutputs : ctx.pxConfig.groupOutputs,
    );
  },
  "%pxconfig": (input, ctx) => {
    const config = applyPxOptions(ctx.pxConfig, parseMagicOptions(input.spec, input.rest));
    ctx.pxConfig = config;
    let ids: number[] | undefined;
    let warning = "";
    try {
      ids = resolveTargets(config.targets, ctx.client.ids);
    } catch (error) {
      // kept: the targets may match engines that register later; but say so now rather than
      // at every %px
      ids = undefined;
      if (config.targets.kind !== "all") {
        const gone = goneIds(config.targets, ctx.client.ids);
        warning = `Warning: ${(error as Error).message}. ` +
          (gone.length === 0
            ? "The setting is kept for engines that register later; until then %px fails " +
              "(%pxconfig --targets all targets every engine)\n"
            : `Engine ids are never given twice and a later engine has registered, so ` +
              `${gone.length === 1 ? "engine" : "engines"} ${gone.join(",")} will not come back: ` +
              `pick live ids from %engines (or %pxconfig --targets all for every engine); until ` +
              `then %px fails\n`);
      }
    }
    ctx.console.write(describePxConfig(config, ids) + "\n" + warning);
    return Promise.resolve(OK);
  },
  "%engines": async (input, ctx) => {
    noArgs(input);
    let engines = await liveEngines(ctx.client);
    if (engines.length === 0) {
      const why = await explainNoEngines(ctx.client, PROBE_MS);
      // an engine that registered just now is known once the controller answered
      engines = ctx.client.engines;
      if (engines.length === 0) {
        if (why instanceof ConnectionError) throw why;
        ctx.console.write(`${why.message}\n`);
        return OK;
      }
    }
    ctx.console.write(formatEnginesTable(engines));
    return OK;
  },
  "%help": (input, ctx) => {
    noArgs(input);
    ctx.console.write(formatHelp());
    return Promise.resolve(OK);
  },
  "%exit": (input) => {
    noArgs(input);
    return Promise.resolve({ failed: false, exit: true });
  },
};
