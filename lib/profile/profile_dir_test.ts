import assert from "node:assert/strict";
import { join } from "node:path";
import {
  createProfile,
  listProfiles,
  locateProfile,
  ProfileError,
  ProfileNotFoundError,
} from "./profile_dir.ts";
import { ProfileNameError } from "./profile_name.ts";
import { withTempDir } from "../protocol/testing.ts";

Deno.test("createProfile() makes the directories with a private security dir", async () => {
  await withTempDir("ipx_profile_dir_test_", async (tmp) => {
    const base = join(tmp, "nested", "ipx");
    const paths = await createProfile("foo", base);
    assert.equal(paths.dir, join(base, "profile_foo"));
    for (const dir of [paths.dir, paths.security, paths.log, paths.data]) {
      assert.ok((await Deno.stat(dir)).isDirectory, dir);
    }
    assert.equal((await Deno.stat(paths.security)).mode! & 0o777, 0o700);
  });
});

Deno.test("createProfile() is idempotent, keeps files and re-tightens security", async () => {
  await withTempDir("ipx_profile_dir_test_", async (base) => {
    const first = await createProfile("foo", base);
    await Deno.writeTextFile(first.clientFile, "{}");
    await Deno.chmod(first.security, 0o777);
    const second = await createProfile("foo", base);
    assert.deepEqual(second, first);
    assert.equal(await Deno.readTextFile(first.clientFile), "{}");
    assert.equal((await Deno.stat(first.security)).mode! & 0o777, 0o700);
  });
});

Deno.test("createProfile() refuses a security path that is not a directory", async () => {
  await withTempDir("ipx_profile_dir_test_", async (base) => {
    await Deno.mkdir(join(base, "profile_foo"));
    await Deno.writeTextFile(join(base, "profile_foo", "security"), "");
    await assert.rejects(createProfile("foo", base), ProfileError);
  });
});

Deno.test("createProfile() rejects an invalid name before touching the disk", async () => {
  await withTempDir("ipx_profile_dir_test_", async (base) => {
    await assert.rejects(createProfile("../evil", base), ProfileNameError);
    assert.deepEqual(await listProfiles(base), []);
  });
});

Deno.test("listProfiles() lists profile directories only, sorted", async () => {
  await withTempDir("ipx_profile_dir_test_", async (base) => {
    assert.deepEqual(await listProfiles(join(base, "absent")), []);
    await createProfile("zeta", base);
    await createProfile("alpha", base);
    await Deno.writeTextFile(join(base, "profile_file"), "");
    await Deno.mkdir(join(base, "other"));
    await Deno.mkdir(join(base, "profile_.bad"));
    assert.deepEqual(await listProfiles(base), ["alpha", "zeta"]);
  });
});

Deno.test("locateProfile() finds an existing profile and names a missing one", async () => {
  await withTempDir("ipx_profile_dir_test_", async (base) => {
    await assert.rejects(locateProfile("default", base), (e: unknown) => {
      assert.ok(e instanceof ProfileNotFoundError);
      assert.equal(e.profileName, "default");
      assert.match(e.message, /ipx profile create default/);
      return true;
    });
    const created = await createProfile("default", base);
    assert.deepEqual(await locateProfile(undefined, base), created);
  });
});
