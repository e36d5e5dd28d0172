/**
 * The ipx REPL: local TypeScript cells plus `%px`-style magics that run code on the engines.
 *
 * - {@linkcode runRepl} runs the whole program on a connected client (terminal or script).
 * - {@linkcode ReplSession} is the REPL without a terminal: feed it lines, read its output.
 * - {@linkcode MAGICS} is the magic table `%help` and completion are built from.
 *
 * @example Usage
 * ```ts ignore
 * import { Client } from "../../mod.ts";
 * import { runRepl } from "./mod.ts";
 * await using client = await Client.connect({ profile: "default" });
 * Deno.exitCode = await runRepl({ client, profile: "default" });
 * ```
 *
 * @module
 */

export { formatStartLine, runRepl, type RunReplOptions } from "./run_repl.ts";
export { type FeedResult, ReplSession, type ReplSessionOptions } from "./session.ts";
export { LocalEvaluator, type LocalOutcome } from "./local_evaluator.ts";
export { type OutputSink, ReplConsole } from "./repl_console.ts";
export { type LineInput, StreamLineInput } from "./line_input.ts";
export { createPalette, type Palette, wantColors } from "./palette.ts";
export { findMagic, formatHelp, type MagicName, MAGICS, type MagicSpec } from "./magic_table.ts";
export { parseTargetSpec, resolveTargets, type TargetSpec } from "./target_spec.ts";
export { MagicUsageError, TargetSpecError } from "./errors.ts";
