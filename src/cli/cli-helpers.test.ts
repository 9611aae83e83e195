/** The pure helpers of call/probe/bench: addresses, -d parsing, percentiles, --size, the recording verifier. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SimpleRequestSchema } from "../gen/grpc/testing/messages_pb.ts";
import { HelloRequestSchema } from "../gen/helloworld/greeter_pb.ts";
import { createDevelopmentPki } from "../pki/development-pki.ts";
import { TrustStore } from "../pki/trust-store.ts";
import { PkiError } from "../pki/types.ts";
import { parseAddress } from "./address.ts";
import { withPayload } from "./bench.ts";
import { CliError } from "./cli-error.ts";
import { parseJsonValues, requestValues } from "./json-input.ts";
import { percentile, summarize } from "./latency-stats.ts";
import { RecordingVerifier } from "./recording-verifier.ts";

test("parseAddress: host:port, [v6]:port, default port, bad input", () => {
  assert.deepEqual(parseAddress("localhost:50051"), { host: "localhost", port: 50051 });
  assert.deepEqual(parseAddress("[::1]:8443"), { host: "::1", port: 8443 });
  assert.deepEqual(parseAddress("https://example.test/"), { host: "example.test", port: 443 });
  for (const bad of ["", "host:", "host:0", "host:70000", "::1:80", "[::1", "h:1x"]) {
    assert.throws(() => parseAddress(bad), CliError, bad);
  }
});

test("parseJsonValues: one value, several values, strings with brackets, and a precise error", () => {
  assert.deepEqual(parseJsonValues('{"a":1}'), [{ a: 1 }]);
  assert.deepEqual(parseJsonValues(' {"a":"}{"} [1,[2]]\n{"b":"\\"}"} 3 "x" '), [
    { a: "}{" },
    [1, [2]],
    { b: '"}' },
    3,
    "x",
  ]);
  assert.deepEqual(parseJsonValues("   "), []);
  assert.throws(() => parseJsonValues('{"a":1} {"b":'), /bad -d JSON \(value 2, /);
  assert.throws(() => parseJsonValues("{a:1}"), /bad -d JSON \(value 1, /);
});

test("requestValues: arrays expand for streaming requests; unary takes exactly one", () => {
  assert.deepEqual(requestValues([[{ a: 1 }, { a: 2 }]], true, "m"), [{ a: 1 }, { a: 2 }]);
  assert.deepEqual(requestValues([{ a: 1 }, { a: 2 }], true, "m"), [{ a: 1 }, { a: 2 }]);
  assert.deepEqual(requestValues([], false, "m"), [{}]);
  assert.throws(() => requestValues([{}, {}], false, "m"), /m takes one request message; -d holds 2 values/);
  assert.throws(() => requestValues([[{}]], false, "m"), /an array/);
});

test("percentile (nearest rank) and summarize", () => {
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(sorted, 50), 50);
  assert.equal(percentile(sorted, 99), 99);
  assert.equal(percentile(sorted, 100), 100);
  assert.equal(percentile([], 50), 0);
  const { summary, histogram } = summarize([5, 1, 3, 2, 4]);
  assert.equal(summary.minMs, 1);
  assert.equal(summary.maxMs, 5);
  assert.equal(summary.meanMs, 3);
  assert.equal(summary.p50Ms, 3);
  assert.equal(
    histogram.reduce((n, b) => n + b.count, 0),
    5,
  );
  assert.equal(histogram[histogram.length - 1]?.upToMs, 5);
});

test("withPayload fills the first bytes field, top level or one level down", () => {
  assert.deepEqual(withPayload(HelloRequestSchema, { name: "a" }, 3), { name: "a", blob: "AAAA" });
  assert.deepEqual(withPayload(SimpleRequestSchema, { responseSize: 1 }, 2), {
    responseSize: 1,
    payload: { body: "AAA=" },
  });
});

test("RecordingVerifier: records and validates with anchors; without, returns the key but says not verified", () => {
  const pki = createDevelopmentPki({ algorithm: "ml-dsa-44" });
  const other = createDevelopmentPki({ algorithm: "ml-dsa-44" });
  const chain = pki.server.certifiedKey.chain;
  const request = { chain, serverName: "localhost", usage: "server" as const };

  const trusted = new RecordingVerifier(new TrustStore({ roots: pki.ca.certificate }));
  trusted.verify(request);
  assert.equal(trusted.verified, true);
  assert.equal(trusted.nameMatches, true);

  const wrong = new RecordingVerifier(new TrustStore({ roots: other.ca.certificate }));
  assert.throws(
    () => wrong.verify(request),
    (e) => e instanceof PkiError && e.code === "unknown-ca",
  );
  assert.equal(wrong.verified, false);
  assert.equal(wrong.verdict?.status, "failed");
  assert.equal(wrong.chain.length, chain.length, "the chain is recorded even when refused");

  const blind = new RecordingVerifier(undefined);
  const peer = blind.verify({ ...request, serverName: "elsewhere.test" });
  assert.equal(peer.algorithm, "ml-dsa-44");
  assert.equal(blind.verified, false);
  assert.equal(blind.verdict?.status, "not-verified");
  assert.equal(blind.nameMatches, false);
});
