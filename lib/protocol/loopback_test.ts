import assert from "node:assert/strict";
import { isLoopback } from "./loopback.ts";

Deno.test("isLoopback() knows 127.0.0.0/8, ::1 in any spelling and localhost, and nothing else", () => {
  for (
    const host of [
      "127.0.0.1",
      "127.3.4.5",
      "127.1",
      "::1",
      "[::1]",
      "0:0:0:0:0:0:0:1",
      "::ffff:127.0.0.1",
      "localhost",
      "LocalHost",
    ]
  ) {
    assert.equal(isLoopback(host), true, host);
  }
  for (
    const host of [
      "10.77.0.1",
      "128.0.0.1",
      "0.0.0.0",
      "::",
      "fe80::1",
      "::ffff:10.0.0.1",
      "server.example.org",
      "127.example.org",
      "localhost.example.org",
      "not a host",
      "",
    ]
  ) {
    assert.equal(isLoopback(host), false, host);
  }
});
