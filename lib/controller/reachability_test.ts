import assert from "node:assert/strict";
import { readConnectionFile } from "../protocol/connection_file.ts";
import { withTempDir } from "../protocol/testing.ts";
import { readyLine } from "./reachability.ts";
import { runController } from "./run_controller.ts";

const FILE = "/home/me/.ipx/profile_default/security/ipx-engine.json";
const facts = { port: 4000, transport: "tls" as const, engineFile: FILE };

Deno.test("readyLine(): a loopback-only controller says it is reachable from this machine only, and how to change that", () => {
  for (const listen of ["127.0.0.1", "::1"]) {
    const line = readyLine({ ...facts, listen, host: listen });
    assert.equal(
      line,
      `ipx controller ready on ${listen}:4000 (tls), reachable from this machine only (it ` +
        `listens on loopback); to start engines on other machines, restart it with --ip ` +
        `0.0.0.0 --location HOST (HOST: the name or address they reach this machine by) and ` +
        `copy ${FILE} to them`,
    );
    assert.doesNotMatch(line, /to other machines to start engines/);
  }
});

Deno.test("readyLine(): --location away from a loopback-only controller is named, with why others cannot use it", () => {
  assert.equal(
    readyLine({ ...facts, listen: "127.0.0.1", host: "10.77.0.1" }),
    "ipx controller ready on 127.0.0.1:4000 (tls); WARNING: it listens on loopback only, so " +
      "other machines cannot reach it at 10.77.0.1:4000, the address its files name " +
      "(--location), unless something you set up forwards that address here (a tunnel or " +
      "proxy); to let them connect directly, restart it with --ip 0.0.0.0 --location 10.77.0.1",
  );
});

Deno.test("readyLine(): reachable controllers say where their files point and to copy them", () => {
  assert.equal(
    readyLine({ ...facts, listen: "0.0.0.0", host: "server.example.org" }),
    "ipx controller ready on server.example.org:4000 (tls), listening on all addresses " +
      `(0.0.0.0); copy ${FILE} to other machines to start engines there`,
  );
  assert.equal(
    readyLine({ ...facts, listen: "10.77.0.1", host: "10.77.0.1" }),
    `ipx controller ready on 10.77.0.1:4000 (tls); copy ${FILE} to other machines to start ` +
      "engines there",
  );
  assert.equal(
    readyLine({ ...facts, listen: "10.77.0.1", host: "10.77.0.99" }),
    "ipx controller ready on 10.77.0.1:4000 (tls); its files name 10.77.0.99:4000 " +
      `(--location), where engines and clients connect; copy ${FILE} to other machines to ` +
      "start engines there",
  );
  // listening everywhere, but the files name loopback (e.g. a machine whose name is localhost)
  assert.match(
    readyLine({ ...facts, listen: "::", host: "localhost" }),
    /^ipx controller ready on localhost:4000 \(tls\); WARNING: its files name localhost:4000, a loopback address, so they work on this machine only; for engines on other machines, restart it with --location HOST/,
  );
});

Deno.test("runController() writes --location into the files whatever address it listens on", async () => {
  await withTempDir("ipx_location_", async (base) => {
    await using running = await runController({
      base,
      ip: "127.0.0.1",
      location: "127.0.0.9",
      noTls: true,
      noDb: true,
      log: () => {},
    });
    assert.equal(running.server.hostname, "127.0.0.1");
    assert.equal(running.info.host, "127.0.0.9");
    assert.equal(running.info.location, "127.0.0.9");
    for (const file of [running.clientFile, running.engineFile]) {
      assert.equal((await readConnectionFile(file)).host, "127.0.0.9", file);
    }
  });
  await withTempDir("ipx_location_", async (base) => {
    // without --location the files name the listen address, as before
    await using running = await runController({ base, noTls: true, noDb: true, log: () => {} });
    assert.equal(running.info.host, "127.0.0.1");
  });
});
