import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CIPHER_SUITES,
  GROUPS,
  groupByCodepoint,
  SIGNATURE_SCHEMES,
  signatureByCodepoint,
  signatureByOid,
} from "./registry.ts";

test("codepoints and OIDs are unique", () => {
  for (const list of [GROUPS, SIGNATURE_SCHEMES, CIPHER_SUITES]) {
    const codes = list.map((x) => x.codepoint);
    assert.equal(new Set(codes).size, codes.length);
  }
  const oids = SIGNATURE_SCHEMES.map((s) => s.oid);
  assert.equal(new Set(oids).size, oids.length);
});

test("IETF hybrid component order (draft-ietf-tls-ecdhe-mlkem)", () => {
  assert.deepEqual(groupByCodepoint(0x11ec)?.components, ["ml-kem-768", "x25519"]);
  assert.deepEqual(groupByCodepoint(0x11eb)?.components, ["p256", "ml-kem-768"]);
  assert.deepEqual(groupByCodepoint(0x11ed)?.components, ["p384", "ml-kem-1024"]);
});

test("ML-DSA and SLH-DSA OIDs follow RFC 9881 / RFC 9909", () => {
  assert.equal(signatureByCodepoint(0x0905)?.oid, "2.16.840.1.101.3.4.3.18");
  assert.equal(signatureByOid("2.16.840.1.101.3.4.3.20")?.name, "slh-dsa-sha2-128s");
  assert.equal(signatureByOid("2.16.840.1.101.3.4.3.31")?.name, "slh-dsa-shake-256f");
});
