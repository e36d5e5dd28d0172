// The bundled @msgpack/msgpack (vendor/msgpack.js, built by scripts/vendor.ts) must encode and
// decode as that package does (its version: scripts/vendor_test.ts).
import assert from "node:assert/strict";
import * as npm from "@msgpack/msgpack";
import * as bundled from "./vendor/msgpack.js";

const VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  255,
  65536,
  2 ** 40,
  -(2 ** 40),
  1.5,
  Number.NaN,
  "",
  "é 🎉",
  "x".repeat(70_000),
  new Uint8Array([1, 2, 3]),
  new Uint8Array(70_000).fill(7),
  [1, [2, [3]]],
  { a: 1, b: { c: [true, null] }, "": "empty key" },
  new Date(1_700_000_000_123),
  123n,
];

Deno.test("the bundled msgpack encodes and decodes exactly as the package does", () => {
  const options = { useBigInt64: true };
  for (const value of VALUES) {
    const ours = bundled.encode(value, options);
    const theirs = npm.encode(value, options);
    assert.deepEqual(ours, theirs, String(value).slice(0, 40));
    assert.deepEqual(bundled.decode(ours, options), npm.decode(theirs, options));
  }
  // an extension codec, as ipx's codec uses one
  const codecs = [bundled, npm].map((m) => {
    const codec = new m.ExtensionCodec();
    codec.register({
      type: 7,
      encode: (v: unknown) => v instanceof Set ? m.encode([...v]) : null,
      decode: (data: Uint8Array) => new Set(m.decode(data) as unknown[]),
    });
    return codec;
  });
  const set = new Set([1, "two"]);
  const [ours, theirs] = [bundled, npm].map((m, i) =>
    new m.Encoder({ extensionCodec: codecs[i]! }).encode({ set })
  );
  assert.deepEqual(ours, theirs);
  assert.deepEqual(new bundled.Decoder({ extensionCodec: codecs[0]! }).decode(ours!), { set });
  // errors are the package's too
  assert.throws(() => bundled.decode(new Uint8Array([0xc1])), bundled.DecodeError);
  assert.throws(() => npm.decode(new Uint8Array([0xc1])), npm.DecodeError);
});
