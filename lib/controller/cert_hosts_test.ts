import assert from "node:assert/strict";
import { canonicalIp, expandHosts } from "./cert_hosts.ts";

Deno.test("canonicalIp: IPv4, IPv6 forms and non-IPs", () => {
  assert.equal(canonicalIp("10.0.0.1"), "10.0.0.1");
  assert.equal(canonicalIp("256.0.0.1"), undefined);
  assert.equal(canonicalIp("::1"), "0:0:0:0:0:0:0:1");
  assert.equal(canonicalIp("0:0:0:0:0:0:0:1"), "0:0:0:0:0:0:0:1");
  assert.equal(canonicalIp("2001:DB8::0005"), "2001:db8:0:0:0:0:0:5");
  assert.equal(canonicalIp("::"), "0:0:0:0:0:0:0:0");
  assert.equal(canonicalIp("fe80::"), "fe80:0:0:0:0:0:0:0");
  assert.equal(canonicalIp("::ffff:127.0.0.1"), "0:0:0:0:0:ffff:7f00:1");
  assert.equal(canonicalIp("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
  assert.equal(canonicalIp("1:2:3:4:5:6:7:8:9"), undefined);
  assert.equal(canonicalIp("1::2::3"), undefined);
  assert.equal(canonicalIp("1:2:3:4:5:6:7::8"), undefined);
  assert.equal(canonicalIp("12345::"), undefined);
  assert.equal(canonicalIp("localhost"), undefined);
  assert.equal(canonicalIp("ctl.example.org"), undefined);
});

Deno.test("expandHosts: loopback always, brackets and zones stripped, names lower case", () => {
  const hosts = expandHosts(
    ["10.1.2.3", "[2001:db8::5]", "fe80::1%eth0", "Ctl.Example.ORG.", ""],
    () => assert.fail("no wildcard was requested"),
  );
  assert.deepEqual([...hosts.ips].sort(), [
    "0:0:0:0:0:0:0:1",
    "10.1.2.3",
    "127.0.0.1",
    "2001:db8:0:0:0:0:0:5",
    "fe80:0:0:0:0:0:0:1",
  ]);
  assert.deepEqual([...hosts.names].sort(), ["ctl.example.org", "localhost"]);
});

Deno.test("expandHosts: wildcards become every local address and the host name", () => {
  for (const wildcard of ["0.0.0.0", "::", "[::]", "*"]) {
    const hosts = expandHosts([wildcard], () => ["192.0.2.7", "fd00::2", "fe80::9%eth1", "node7"]);
    assert.ok(hosts.ips.has("192.0.2.7"), wildcard);
    assert.ok(hosts.ips.has("fd00:0:0:0:0:0:0:2"), wildcard);
    assert.ok(hosts.ips.has("fe80:0:0:0:0:0:0:9"), wildcard);
    assert.ok(hosts.names.has("node7"), wildcard);
    assert.ok(!hosts.ips.has("0.0.0.0") && !hosts.ips.has("0:0:0:0:0:0:0:0"), wildcard);
  }
});
