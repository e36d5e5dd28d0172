/**
 * Entry point for REPL process tests: main.ts's program, with `ipx repl` added when main.ts
 * does not register it yet. Once it does, this runs exactly what `./ipx repl` runs.
 *
 * Usage: `deno run -A --unstable-worker-options tests/_helpers/repl_entry.ts repl --local 2`
 *
 * @module
 */

import { configureErrors, reportError } from "../../cmd/_usage.ts";
import { replCommand } from "../../cmd/repl.ts";
import { ipxProgram } from "../../main.ts";

if (import.meta.main) {
  const program = ipxProgram();
  if (!program.commands.some((c) => c.name() === "repl")) {
    program.addCommand(configureErrors(replCommand()));
  }
  try {
    await program.parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    Deno.exit(reportError(error));
  }
}
