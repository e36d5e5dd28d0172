import assert from "node:assert/strict";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { ipxDir } from "./ipx_dir.ts";

function withEnv(value: string | undefined, fn: () => void): void {
  const saved = Deno.env.get("IPX_DIR");
  if (value === undefined) Deno.env.delete("IPX_DIR");
  else Deno.env.set("IPX_DIR", value);
  try {
    fn();
  } finally {
    if (saved === undefined) Deno.env.delete("IPX_DIR");
    else Deno.env.set("IPX_DIR", saved);
  }
}

Deno.test("ipxDir() uses IPX_DIR made absolute", () => {
  withEnv("some/rel/dir", () => assert.equal(ipxDir(), resolve("some/rel/dir")));
  withEnv("/abs/ipx", () => assert.equal(ipxDir(), "/abs/ipx"));
});

Deno.test("ipxDir() falls back to ~/.ipx when IPX_DIR is unset or empty", () => {
  withEnv(undefined, () => assert.equal(ipxDir(), join(homedir(), ".ipx")));
  withEnv("", () => assert.equal(ipxDir(), join(homedir(), ".ipx")));
});
