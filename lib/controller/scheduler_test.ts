import assert from "node:assert/strict";
import { SCHEMES } from "../protocol/messages.ts";
import {
  createScheduler,
  DEFAULT_HWM,
  DEFAULT_SCHEME,
  parseSchemeName,
  SCHEME_NAMES,
  type SchemeName,
  UnknownSchemeError,
} from "./scheduler.ts";

Deno.test("createScheduler() defaults to leastload with hwm 1", () => {
  const scheduler = createScheduler();
  assert.equal(scheduler.scheme, "leastload");
  assert.equal(scheduler.hwm, 1);
  assert.equal(DEFAULT_SCHEME, "leastload");
  assert.equal(DEFAULT_HWM, 1);
  assert.equal(scheduler.size, 0);
  assert.equal(scheduler.available, 0);
});

Deno.test("createScheduler() builds every scheme", () => {
  for (const scheme of SCHEME_NAMES) {
    const scheduler = createScheduler({ scheme, hwm: 0 });
    assert.equal(scheduler.scheme, scheme);
    scheduler.add(0);
    assert.equal(scheduler.acquire(), 0);
  }
});

Deno.test("createScheduler() rejects bad options", () => {
  assert.throws(() => createScheduler({ scheme: "pure" as SchemeName }), UnknownSchemeError);
  assert.throws(() => createScheduler({ scheme: "toString" as SchemeName }), UnknownSchemeError);
  for (const hwm of [-1, 0.5, Number.NaN]) {
    assert.throws(() => createScheduler({ hwm }), RangeError);
  }
});

Deno.test("parseSchemeName() accepts names and ipyparallel aliases", () => {
  for (const scheme of SCHEME_NAMES) assert.equal(parseSchemeName(scheme), scheme);
  assert.equal(parseSchemeName("plainrandom"), "random");
  assert.equal(parseSchemeName(" TwoBin "), "twobin");
  assert.throws(() => parseSchemeName("pure"), UnknownSchemeError);
  assert.throws(() => parseSchemeName("constructor"), UnknownSchemeError);
  assert.throws(() => parseSchemeName(""), UnknownSchemeError);
});

Deno.test("SCHEME_NAMES is frozen", () => {
  assert.ok(Object.isFrozen(SCHEME_NAMES));
});

Deno.test("the controller's schemes are the ones clients are told of", () => {
  assert.deepEqual([...SCHEME_NAMES], [...SCHEMES]);
});
