import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultCrypto } from "../crypto/select.ts";
import { createDevelopmentPki } from "../pki/development-pki.ts";
import { policyWarnings } from "./policy-warnings.ts";

const crypto = defaultCrypto();
const mldsa = createDevelopmentPki({ algorithm: "ml-dsa-65", crypto }).server.certifiedKey;
const ecdsa = createDevelopmentPki({ algorithm: "ecdsa-p256-sha256", crypto }).server.certifiedKey;

describe("pqrpc serve's policy warnings", () => {
  it("none for a chain the policy and the default clients accept", () => {
    assert.deepEqual(policyWarnings(mldsa, "hybrid"), []);
    assert.deepEqual(policyWarnings([mldsa, ecdsa], "pq-kex"), []);
  });
  it("a policy that refuses the only chain: every handshake would fail", () => {
    const [w, ...rest] = policyWarnings(ecdsa, "hybrid");
    assert.deepEqual(rest, []);
    assert.match(
      w!,
      /^policy hybrid refuses this server's own certificate chain: the leaf key is ecdsa-p256-sha256/,
    );
    assert.match(w!, /--policy pq-kex/);
  });
  it("a chain the policy never chooses while another serves", () => {
    assert.deepEqual(policyWarnings([mldsa, ecdsa], "hybrid"), [
      "policy hybrid never chooses certificate chain 2 (the leaf key is ecdsa-p256-sha256 (classical); " +
        '"O=pqrpc, CN=localhost" is signed with ecdsa-p256-sha256 (classical)); the others serve',
    ]);
  });
  it("classical chains only under pq-kex: pqrpc clients at their default policy would refuse", () => {
    const [w] = policyWarnings(ecdsa, "pq-kex");
    assert.match(
      w!,
      /^no certificate chain is post-quantum: clients at the default policy hybrid will refuse/,
    );
  });
});
