import assert from "node:assert/strict";
import { assertKeyUnreachable, KeyReachableError } from "./key_reach.ts";

Deno.test("assertKeyUnreachable refuses paths that reach the key: the file, its profile's security dir, their parents", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ipx-keyreach-" }));
  try {
    const security = `${root}/profile_default/security`;
    await Deno.mkdir(security, { recursive: true });
    const file = `${security}/ipx-engine.json`;
    await Deno.writeTextFile(file, "{}");
    await Deno.writeTextFile(`${security}/ipx-client.json`, "{}");
    const data = `${root}/data`;
    const refused = (o: { allowRead?: string[]; dataDir?: string }) =>
      assert.throws(
        () => assertKeyUnreachable({ file, dataDir: o.dataDir ?? data, allowRead: o.allowRead }),
        KeyReachableError,
        JSON.stringify(o),
      );
    refused({ dataDir: root });
    refused({ allowRead: [security] });
    refused({ allowRead: [file] });
    refused({ allowRead: [`${security}/ipx-client.json`] }); // the same key
    assertKeyUnreachable({ file, dataDir: data, allowRead: [`${root}/profile_default/log`] });
    // a copied file elsewhere: the file itself is refused, its neighbours are not
    const copy = `${root}/home/engine.json`;
    await Deno.mkdir(`${root}/home`);
    await Deno.writeTextFile(copy, "{}");
    assert.throws(
      () => assertKeyUnreachable({ file: copy, dataDir: data, allowRead: [copy] }),
      KeyReachableError,
    );
    assertKeyUnreachable({ file: copy, dataDir: data, allowRead: [`${root}/home/results.csv`] });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
