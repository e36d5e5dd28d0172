import assert from "node:assert/strict";
import { Command, CommanderError } from "commander";
import {
  configureErrors,
  MAX_FRAME_MB,
  parseHwm,
  parseIntAtLeast,
  parseLiveness,
  parseMaxFrameMb,
  reportError,
  UsageError,
} from "./_usage.ts";

function report(error: unknown, debug = false): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = reportError(error, { debug, writeLine: (line) => lines.push(line) });
  return { code, lines };
}

Deno.test("reportError() gives exit 2 for UsageError and 1 for other errors", () => {
  assert.deepEqual(report(new UsageError("Bad flag")), { code: 2, lines: ["ipx: Bad flag"] });
  assert.deepEqual(report(new Error("Boom")), { code: 1, lines: ["ipx: Boom"] });
  assert.deepEqual(report("thrown string"), { code: 1, lines: ["ipx: thrown string"] });
});

Deno.test("reportError() adds causes not already in the message, without stacks", () => {
  const inner = new Error("disk full");
  const { lines } = report(new Error("Cannot save", { cause: inner }));
  assert.deepEqual(lines, ["ipx: Cannot save", "  caused by: disk full"]);
  const repeated = report(new Error("Cannot save: disk full", { cause: inner }));
  assert.deepEqual(repeated.lines, ["ipx: Cannot save: disk full"]);
});

Deno.test("reportError() prints stacks in debug mode", () => {
  const { lines } = report(new Error("Boom", { cause: new Error("inner") }), true);
  assert.match(lines[0]!, /^ipx: Error: Boom\n\s+at /);
  assert.match(lines[1]!, /^ {2}caused by: Error: inner\n\s+at /);
});

Deno.test("reportError() maps commander exits without printing again", () => {
  assert.deepEqual(report(new CommanderError(0, "commander.helpDisplayed", "(help)")), {
    code: 0,
    lines: [],
  });
  assert.deepEqual(report(new CommanderError(1, "commander.unknownOption", "x")), {
    code: 2,
    lines: [],
  });
});

Deno.test("configureErrors() makes nested subcommands throw and print as ipx", async () => {
  const written: string[] = [];
  const leaf = new Command("leaf").action(() => {});
  const root = new Command("ipx").addCommand(new Command("mid").addCommand(leaf));
  configureErrors(root);
  leaf.configureOutput({ writeErr: (s) => written.push(s) });
  await assert.rejects(
    root.parseAsync(["mid", "leaf", "--nope"], { from: "user" }),
    (e: unknown) => e instanceof CommanderError && e.code === "commander.unknownOption",
  );
  assert.match(written.join(""), /^ipx: unknown option '--nope'\n\(run `ipx mid leaf --help`/);
});

Deno.test("parseHwm: auto or a count, anything else is a usage error naming both", () => {
  assert.equal(parseHwm("auto"), "auto");
  assert.equal(parseHwm("0"), 0);
  assert.equal(parseHwm("16"), 16);
  for (const bad of ["", " ", "-1", "1.5", "two", "Auto"]) {
    assert.throws(
      () => parseHwm(bad),
      (e: Error) => e.name === "UsageError" && e.message.includes('"auto" or an integer'),
      bad,
    );
  }
});

Deno.test("parseMaxFrameMb() takes 1 to 1024 MiB and says what it wants otherwise", () => {
  assert.equal(parseMaxFrameMb("1"), 1024 * 1024);
  assert.equal(parseMaxFrameMb(String(MAX_FRAME_MB)), 1024 * 1024 * 1024);
  for (const bad of ["0", "1025", "1.5", "x", ""]) {
    assert.throws(
      () => parseMaxFrameMb(bad),
      (e: Error) =>
        e instanceof UsageError &&
        e.message === `--max-frame-mb must be an integer from 1 to 1024 (the largest value the ` +
            `codec decodes is 1 GiB), got "${bad}"`,
    );
  }
});

Deno.test("parseLiveness: --heartbeat-ms and --dead-after-ms are integers of at least 1", () => {
  assert.deepEqual(parseLiveness({}), {});
  assert.deepEqual(parseLiveness({ heartbeatMs: "250", deadAfterMs: "10000" }), {
    heartbeatMs: 250,
    deadAfterMs: 10_000,
  });
  for (
    const [o, message] of [
      [{ deadAfterMs: "0" }, `--dead-after-ms must be an integer of at least 1, got "0"`],
      [{ heartbeatMs: "1.5" }, `--heartbeat-ms must be an integer of at least 1, got "1.5"`],
      [{ deadAfterMs: "" }, `--dead-after-ms must be an integer of at least 1, got ""`],
    ] as const
  ) {
    assert.throws(
      () => parseLiveness(o),
      (e: Error) => e instanceof UsageError && e.message === message,
    );
  }
  assert.equal(parseIntAtLeast("--port", "0", 0), 0);
  // a deadline under two beats would declare healthy engines dead
  for (
    const [o, pair] of [
      [{ heartbeatMs: "3000" }, "(5000) must be at least twice --heartbeat-ms (3000)"],
      [
        { heartbeatMs: "500", deadAfterMs: "999" },
        "(999) must be at least twice --heartbeat-ms (500)",
      ],
    ] as const
  ) {
    assert.throws(
      () => parseLiveness(o),
      (e: Error) => e instanceof UsageError && e.message.startsWith(`--dead-after-ms ${pair}: `),
    );
  }
  assert.deepEqual(parseLiveness({ heartbeatMs: "500", deadAfterMs: "1000" }), {
    heartbeatMs: 500,
    deadAfterMs: 1000,
  });
});
