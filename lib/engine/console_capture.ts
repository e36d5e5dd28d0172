/**
 * A `console` replacement that hands every line to a sink instead of writing to the
 * process's stdout/stderr. The engine's worker installs it so user output travels to the
 * client, tagged with the operation that produced it.
 *
 * Formatting follows Deno's console: strings are written raw, other values with
 * `Deno.inspect`; `%s %d %i %f %o %O %c %%` are understood; groups indent by two spaces.
 *
 * @module
 */

/** Which stream a piece of output belongs to. */
export type StreamName = "stdout" | "stderr";

/** Receives captured output, one complete chunk (ending in a newline) per call. */
export type StreamSink = (name: StreamName, text: string) => void;

const INSPECT: Deno.InspectOptions = { colors: false, depth: 4 };

function inspect(value: unknown): string {
  return typeof value === "string" ? value : Deno.inspect(value, INSPECT);
}

function applySpecifier(spec: string, arg: unknown): string {
  switch (spec) {
    case "s":
      return typeof arg === "string" ? arg : safeString(arg);
    case "d":
    case "i":
      if (typeof arg === "bigint") return String(arg);
      if (typeof arg === "symbol") return "NaN";
      return inspect(Number.parseInt(safeString(arg)));
    case "f":
      if (typeof arg === "symbol") return "NaN";
      return inspect(Number.parseFloat(safeString(arg)));
    case "c":
      return "";
    default: // "o" and "O"
      return Deno.inspect(arg, INSPECT);
  }
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Deno.inspect(value, INSPECT);
  }
}

/**
 * Formats console arguments the way Deno's `console.log` does (without colours).
 *
 * @param args The arguments given to a console method.
 * @returns The text that would be printed, without the trailing newline.
 *
 * @example Usage
 * ```ts
 * import { formatArgs } from "./console_capture.ts";
 * formatArgs(["n=%d", 5, { a: "b" }]); // 'n=5 { a: "b" }'
 * ```
 */
export function formatArgs(args: readonly unknown[]): string {
  const first = args[0];
  let rest = 1;
  let head: string;
  if (typeof first === "string" && args.length > 1) {
    head = first.replace(/%([sdifoOc%])/g, (match, spec: string) => {
      if (spec === "%") return "%";
      if (rest >= args.length) return match;
      return applySpecifier(spec, args[rest++]);
    });
  } else if (args.length === 0) {
    return "";
  } else {
    head = inspect(first);
  }
  const tail = args.slice(rest).map(inspect);
  return [head, ...tail].join(" ");
}

function renderTable(data: unknown, columns?: readonly string[]): string | undefined {
  if (data === null || typeof data !== "object") return undefined;
  const entries: Array<[string, unknown]> = data instanceof Map
    ? [...data.entries()].map(([k, v]) => [inspect(k), v])
    : Object.entries(data);
  const keys: string[] = [];
  let hasValues = false;
  for (const [, row] of entries) {
    if (row !== null && typeof row === "object") {
      for (const key of Object.keys(row)) if (!keys.includes(key)) keys.push(key);
    } else {
      hasValues = true;
    }
  }
  const header = ["(idx)", ...(columns ?? keys), ...(hasValues ? ["Values"] : [])];
  const rows = entries.map(([index, row]) => {
    const isObject = row !== null && typeof row === "object";
    const record = isObject ? row as Record<string, unknown> : {};
    const cells = (columns ?? keys).map((k) => k in record ? Deno.inspect(record[k], INSPECT) : "");
    return [index, ...cells, ...(hasValues ? [isObject ? "" : Deno.inspect(row, INSPECT)] : [])];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (l: string, m: string, r: string) =>
    l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  const row = (cells: string[]) =>
    "│" + cells.map((c, i) => ` ${c.padEnd(widths[i] ?? 0)} `).join("│") + "│";
  return [
    line("┌", "┬", "┐"),
    row(header),
    line("├", "┼", "┤"),
    ...rows.map(row),
    line("└", "┴", "┘"),
  ]
    .join("\n");
}

/**
 * Builds a console whose output goes to `sink`: `log`, `info`, `debug`, `dir`, `dirxml`,
 * `table`, `count`, `time*` and `group` headers go to stdout; `warn`, `error`, `trace` and
 * failed `assert`s go to stderr.
 *
 * @param sink Receives each printed chunk.
 * @returns An object with every method of the standard `console`.
 *
 * @example Usage
 * ```ts
 * import { createCaptureConsole } from "./console_capture.ts";
 * const lines: string[] = [];
 * const c = createCaptureConsole((name, text) => lines.push(`${name}:${text}`));
 * c.log("hi"); // lines = ["stdout:hi\n"]
 * ```
 */
export function createCaptureConsole(sink: StreamSink): Console {
  let indent = "";
  const counts = new Map<string, number>();
  const timers = new Map<string, number>();
  function emit(name: StreamName, text: string): void {
    const body = indent === "" ? text : text.split("\n").map((l) => indent + l).join("\n");
    sink(name, body + "\n");
  }
  const out = (...args: unknown[]) => emit("stdout", formatArgs(args));
  const err = (...args: unknown[]) => emit("stderr", formatArgs(args));
  const group = (...args: unknown[]) => {
    if (args.length > 0) out(...args);
    indent += "  ";
  };
  function elapsed(label: string, verb: "timeLog" | "timeEnd"): number | undefined {
    const start = timers.get(label);
    if (start === undefined) {
      err(`Timer '${label}' does not exist`);
      return undefined;
    }
    if (verb === "timeEnd") timers.delete(label);
    return Math.round(performance.now() - start);
  }
  const methods = {
    log: out,
    info: out,
    debug: out,
    warn: err,
    error: err,
    dir: (value: unknown) => emit("stdout", Deno.inspect(value, INSPECT)),
    dirxml: out,
    trace: (...args: unknown[]) => {
      const stack = (new Error().stack ?? "").split("\n").slice(2).join("\n");
      emit("stderr", `Trace${args.length > 0 ? ": " + formatArgs(args) : ""}\n${stack}`);
    },
    assert: (condition?: unknown, ...args: unknown[]) => {
      if (condition) return;
      emit(
        "stderr",
        args.length > 0 ? `Assertion failed: ${formatArgs(args)}` : "Assertion failed",
      );
    },
    table: (data?: unknown, columns?: string[]) => {
      const table = renderTable(data, columns);
      if (table === undefined) out(data);
      else emit("stdout", table);
    },
    count: (label = "default") => {
      const n = (counts.get(label) ?? 0) + 1;
      counts.set(label, n);
      out(`${label}: ${n}`);
    },
    countReset: (label = "default") => void counts.delete(label),
    time: (label = "default") => {
      if (timers.has(label)) err(`Timer '${label}' already exists`);
      else timers.set(label, performance.now());
    },
    timeLog: (label = "default", ...args: unknown[]) => {
      const ms = elapsed(label, "timeLog");
      if (ms !== undefined) out(`${label}: ${ms}ms`, ...args);
    },
    timeEnd: (label = "default") => {
      const ms = elapsed(label, "timeEnd");
      if (ms !== undefined) out(`${label}: ${ms}ms`);
    },
    group,
    groupCollapsed: group,
    groupEnd: () => void (indent = indent.slice(2)),
    clear: () => {},
    profile: () => {},
    profileEnd: () => {},
    timeStamp: () => {},
    createTask: () => ({ run: <T>(fn: () => T): T => fn() }),
  };
  return methods as unknown as Console;
}

/**
 * Redirects `Deno.stdout`/`Deno.stderr` writes (and so `process.stdout.write`) to `sink`,
 * decoding the bytes as UTF-8 (a character split across writes is kept until complete).
 *
 * @param sink Receives each written chunk as text.
 *
 * @example Usage
 * ```ts ignore
 * import { captureStdio } from "./console_capture.ts";
 * captureStdio((name, text) => postMessage({ name, text })); // inside a Worker
 * ```
 */
export function captureStdio(sink: StreamSink): void {
  for (const [name, stream] of [["stdout", Deno.stdout], ["stderr", Deno.stderr]] as const) {
    const decoder = new TextDecoder();
    const take = (bytes: Uint8Array): number => {
      const text = decoder.decode(bytes, { stream: true });
      if (text !== "") sink(name, text);
      return bytes.byteLength;
    };
    const writable = stream as {
      write(p: Uint8Array): Promise<number>;
      writeSync(p: Uint8Array): number;
    };
    writable.write = (p) => Promise.resolve(take(p));
    writable.writeSync = take;
  }
}
