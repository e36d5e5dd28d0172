import assert from "node:assert/strict";
import { profileOfFile, replOrigin } from "./repl_origin.ts";

Deno.test("profileOfFile() finds the profile of a file in its security directory", () => {
  assert.equal(profileOfFile("/x/.ipx/profile_rp/security/ipx-client.json", "/x/.ipx"), "rp");
  assert.equal(profileOfFile("/x/.ipx/profile_rp/security/copy.json", "/x/.ipx"), "rp");
  assert.equal(profileOfFile("/x/.ipx/profile_rp/ipx-client.json", "/x/.ipx"), undefined);
  assert.equal(profileOfFile("/x/.ipx/other/security/ipx-client.json", "/x/.ipx"), undefined);
  assert.equal(profileOfFile("/y/profile_rp/security/ipx-client.json", "/x/.ipx"), undefined);
  assert.equal(profileOfFile("/x/.ipx/profile_a b/security/c.json", "/x/.ipx"), undefined);
});

Deno.test("replOrigin() names the profile of a profile's file, or the file itself", () => {
  assert.deepEqual(replOrigin("default", undefined, "/b"), { profile: "default" });
  assert.deepEqual(replOrigin("default", "/b/profile_rp/security/ipx-client.json", "/b"), {
    profile: "rp",
  });
  assert.deepEqual(replOrigin("mine", "/tmp/c.json", "/b"), {
    profile: "mine",
    file: "/tmp/c.json",
  });
});
