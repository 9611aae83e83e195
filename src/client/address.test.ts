import assert from "node:assert/strict";
import { test } from "node:test";
import { formatAddress, parseAddress } from "./address.ts";
import { ChannelError } from "./errors.ts";

test("host:port and [v6]:port parse, and format back to the same authority", () => {
  const cases: [string, string, number][] = [
    ["localhost:8443", "localhost", 8443],
    ["127.0.0.1:1", "127.0.0.1", 1],
    ["[::1]:65535", "::1", 65535],
    ["[2001:db8::7]:50051", "2001:db8::7", 50051],
    ["svc.example.com:443", "svc.example.com", 443],
  ];
  for (const [text, host, port] of cases) {
    assert.deepEqual(parseAddress(text), { host, port }, text);
    assert.equal(formatAddress({ host, port }), text);
  }
});

test("anything else is ChannelError bad-address", () => {
  for (const bad of [
    "",
    "localhost",
    ":8443",
    "localhost:",
    "localhost:0",
    "localhost:65536",
    "::1:80",
    "[::1]",
    "[zz]:80",
    "host:80x",
    "http://host:80",
    "a b:80",
    "host:123456",
    "user@host:80",
  ]) {
    assert.throws(
      () => parseAddress(bad),
      (e: unknown) => e instanceof ChannelError && e.code === "bad-address",
      JSON.stringify(bad),
    );
  }
});
