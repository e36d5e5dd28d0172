/**
 * `ipx engine-process` (hidden): one engine process. The supervisor of `ipx engine` starts
 * engines this way when ipx runs as a compiled single binary (`dist/ipx`), where there is no
 * separate `deno` to run `lib/engine/process_main.ts` with.
 *
 * @module
 */

import { Command } from "commander";

/** Builds the hidden `ipx engine-process` command. */
export function engineProcessCommand(): Command {
  return new Command("engine-process")
    .description("run one engine process (started by `ipx engine`; not for direct use)")
    .allowUnknownOption(true)
    .helpOption(false)
    .argument("[args...]")
    .action(async (args: string[]) => {
      const { main } = await import("../lib/engine/process_main.ts");
      Deno.exitCode = await main(args);
    });
}
