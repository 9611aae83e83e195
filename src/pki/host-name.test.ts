import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dnsNameMatches, matchesServerName } from "./host-name.ts";
import { parseIpAddress } from "./ip-address.ts";

describe("server name matching", () => {
  it("wildcards cover exactly one whole left-most label", () => {
    assert.equal(dnsNameMatches("*.example.com", "a.example.com"), true);
    assert.equal(dnsNameMatches("*.example.com", "example.com"), false);
    assert.equal(dnsNameMatches("*.example.com", "a.b.example.com"), false);
    assert.equal(dnsNameMatches("*.com", "example.com"), false);
    assert.equal(dnsNameMatches("a.*.example.com", "a.b.example.com"), false);
    assert.equal(dnsNameMatches("f*.example.com", "foo.example.com"), false);
    assert.equal(dnsNameMatches("example.com", "example.com"), true);
  });

  it("IP literals match iPAddress bytes only, never DNS entries", () => {
    const san = { dnsNames: ["127.0.0.1", "localhost"], ipAddresses: [parseIpAddress("::ffff:10.0.0.1")!] };
    assert.equal(matchesServerName(san, "127.0.0.1"), false);
    assert.equal(matchesServerName(san, "::ffff:a00:1"), true);
    assert.equal(matchesServerName(san, "Localhost."), true);
    assert.equal(matchesServerName(undefined, "localhost"), false);
  });

  it("parses IP literals strictly", () => {
    assert.deepEqual(parseIpAddress("1.2.3.4"), new Uint8Array([1, 2, 3, 4]));
    assert.deepEqual(parseIpAddress("::"), new Uint8Array(16));
    assert.deepEqual(parseIpAddress("1::")?.[1], 1);
    for (const bad of [
      "1.2.3",
      "1.2.3.256",
      "01.2.3.4",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "::g",
      "1:2:3:4:5:6:7::8",
      "a".repeat(60),
    ]) {
      assert.equal(parseIpAddress(bad), undefined, bad);
    }
  });
});
