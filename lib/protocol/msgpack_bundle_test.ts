// The bundled @msgpack/msgpack (vendor/msgpack.js, built by scripts/vendor.ts) must be the
// version deno.json pins and encode and decode as that package does.
import assert from "node:assert/strict";
import * as npm from "@msgpack/msgpack";
import * as bundled from "./vendor/msgpack.js";

const root = new URL("../../", import.meta.url);

Deno.test("the bundled msgpack is the version deno.json pins (else: deno task vendor)", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const spec = config.imports["@msgpack/msgpack"];
  const pinned = /^npm:@msgpack\/msgpack@([^/\s]+)\//.exec(spec)?.[1];
  assert.ok(pinned, `deno.json pins @msgpack/msgpack as npm:@msgpack/msgpack@VERSION/…: ${spec}`);
  const header = (await Deno.readTextFile(new URL("vendor/msgpack.js", import.meta.url)))
    .split("\n", 2)[1]!;
  const version = pinned.replaceAll(".", "\\.");
  assert.match(header, new RegExp(`[ ,]@msgpack/msgpack@${version}[ ,]`));
  const licenses = await Deno.readTextFile(new URL("vendor/LICENSES.txt", import.meta.url));
  assert.match(licenses, new RegExp(`==== @msgpack/msgpack@${version} ====`));
});

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
