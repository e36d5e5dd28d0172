/**
 * How the code Worker (`worker.ts`) describes what user code throws: name, message and a stack
 * cut where ipx's own frames begin.
 *
 * @module
 */

import type { ErrorData } from "../protocol/errors.ts";
import { formatArgs } from "./console_capture.ts";
import { INSPECTOR_BRIDGE_URL } from "./inspector_bridge.ts";

/** The Worker module's URL: frames from it and below are ipx's, not the user's. */
const SELF_URL = new URL("./worker.ts", import.meta.url).href;
/** Cuts the frames of the Worker module (and its inspector bridge) and of Deno's internals (`ext:`). */
function cleanStack(stack: string): string {
  const lines = stack.split("\n");
  const cut = lines.findIndex((l) =>
    l.includes("Session.post") || l.includes(SELF_URL) || l.includes(INSPECTOR_BRIDGE_URL)
  );
  const kept = cut === -1 ? lines : lines.slice(0, cut);
  return kept.filter((l) => !/^\s+at .*\(?ext:[\w/.-]+:\d+:\d+\)?$/.test(l)).join("\n");
}

/**
 * Describes a thrown value; never throws, even for hostile getters.
 *
 * @param thrown What user code threw (or rejected with).
 * @returns Its name, message and stack without ipx's own frames.
 */
export function toErrorData(thrown: unknown): ErrorData {
  try {
    if (thrown instanceof Error) {
      return {
        ename: String(thrown.name),
        evalue: String(thrown.message),
        stack: cleanStack(String(thrown.stack ?? "")),
      };
    }
    const text = typeof thrown === "string" ? thrown : formatArgs([thrown]);
    return { ename: "Error", evalue: `Uncaught ${text}`, stack: "" };
  } catch {
    return { ename: "Error", evalue: "Uncaught value that cannot be described", stack: "" };
  }
}

/**
 * The text printed for an error nothing caught (`Uncaught …`, `Uncaught (in promise) …`).
 *
 * @param prefix What kind of uncaught it was.
 * @param thrown The value.
 * @returns A line (or a stack) ending in a newline.
 */
export function describeUncaught(prefix: string, thrown: unknown): string {
  const data = toErrorData(thrown);
  const body = data.evalue.startsWith("Uncaught ") && data.ename === "Error" && data.stack === ""
    ? data.evalue.slice("Uncaught ".length)
    : data.stack || `${data.ename}: ${data.evalue}`;
  return `${prefix} ${body}\n`;
}
