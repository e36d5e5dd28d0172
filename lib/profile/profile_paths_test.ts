import assert from "node:assert/strict";
import { ProfileNameError } from "./profile_name.ts";
import { profilePaths } from "./profile_paths.ts";

Deno.test("profilePaths() lays out a profile under <base>/profile_<name>", () => {
  assert.deepEqual(profilePaths("gpu", "/b"), {
    name: "gpu",
    dir: "/b/profile_gpu",
    security: "/b/profile_gpu/security",
    log: "/b/profile_gpu/log",
    data: "/b/profile_gpu/data",
    clientFile: "/b/profile_gpu/security/ipx-client.json",
    engineFile: "/b/profile_gpu/security/ipx-engine.json",
    pidFile: "/b/profile_gpu/ipx-controller.pid",
    dbFile: "/b/profile_gpu/ipx.sqlite",
    historyFile: "/b/profile_gpu/history",
  });
});

Deno.test("profilePaths() defaults to the profile named default", () => {
  assert.equal(profilePaths(undefined, "/b").dir, "/b/profile_default");
});

Deno.test("profilePaths() rejects an invalid name", () => {
  assert.throws(() => profilePaths("../x", "/b"), ProfileNameError);
});
