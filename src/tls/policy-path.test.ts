/**
 * Issue 9 item 4: the policy covers every signature on the certificate path,
 * not only the leaf key. An ML-DSA-65 leaf certified by a classical CA is
 * only as strong as the CA's signature, so pq-strict and hybrid refuse it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SignatureName } from "../crypto/types.ts";
import { makeChild, makeRoot, type TestCert } from "../pki/test-helpers.ts";
import { createVerifier } from "../pki/trust-store.ts";
import { createTlsClient, createTlsServer, type TlsConnection } from "./connection.ts";
import { crypto, pump } from "./engine-test-helpers.ts";
import type { PolicyName } from "./policy.ts";

interface Chain {
  root: TestCert;
  intermediate?: TestCert;
  leaf: TestCert;
}

/** root (rootAlg) [-> intermediate (midAlg)] -> ML-DSA-65 leaf. */
function chain(rootAlg: SignatureName, midAlg?: SignatureName): Chain {
  const root = makeRoot(rootAlg);
  const intermediate = midAlg ? makeChild(root, "intermediate", { ca: {} }, midAlg) : undefined;
  const leaf = makeChild(
    intermediate ?? root,
    "server",
    { extendedKeyUsage: ["serverAuth"], subjectAltNames: ["localhost"] },
    "ml-dsa-65",
  );
  return { root, intermediate, leaf };
}

function handshake(c: Chain, policy: PolicyName): { client: TlsConnection; server: TlsConnection } {
  const path = [c.leaf.der, ...(c.intermediate ? [c.intermediate.der] : []), c.root.der];
  const server = createTlsServer({
    crypto,
    policy: "compat",
    certificate: { chain: path, key: c.leaf.key.signingKey },
  });
  const client = createTlsClient({
    crypto,
    policy,
    serverName: "localhost",
    verifier: createVerifier({ roots: c.root.der, crypto }),
  });
  pump(client, server);
  return { client, server };
}

describe("policy over the whole certificate path", () => {
  for (const policy of ["pq-strict", "hybrid"] as const) {
    for (const rootAlg of ["ed25519", "ecdsa-p256-sha256"] as const) {
      it(`${policy}: an ML-DSA-65 leaf signed by a ${rootAlg} CA -> bad_certificate`, () => {
        const { client } = handshake(chain(rootAlg), policy);
        assert.equal(client.error?.alertName, "bad_certificate", client.error?.message);
        assert.match(client.error!.message, new RegExp(`${rootAlg}.*refuses|refused`));
      });
    }
    it(`${policy}: a PQ leaf under a PQ intermediate signed by an Ed25519 root -> bad_certificate`, () => {
      const { client } = handshake(chain("ed25519", "ml-dsa-65"), policy);
      assert.equal(client.error?.alertName, "bad_certificate", client.error?.message);
    });
    it(`${policy}: an all-ML-DSA path is accepted`, () => {
      const { client } = handshake(chain("ml-dsa-65", "ml-dsa-87"), policy);
      assert.equal(client.error, undefined, client.error?.message);
      assert.ok(client.handshakeComplete);
    });
  }
  it("hybrid accepts a composite CA signature; pq-strict does not", () => {
    assert.ok(handshake(chain("mldsa65-ecdsa-p256-sha512"), "hybrid").client.handshakeComplete);
    assert.equal(
      handshake(chain("mldsa65-ecdsa-p256-sha512"), "pq-strict").client.error?.alertName,
      "bad_certificate",
    );
  });
  it("compat accepts the classical CA", () => {
    const { client } = handshake(chain("ed25519"), "compat");
    assert.equal(client.error, undefined, client.error?.message);
    assert.ok(client.handshakeComplete);
  });
  it("a verifier that ignores acceptSignature is still held to the policy by the engine", () => {
    const c = chain("ed25519");
    const store = createVerifier({ roots: c.root.der, crypto });
    const lax = {
      verify: (r: Parameters<typeof store.verify>[0]) => store.verify({ ...r, acceptSignature: undefined }),
    };
    const server = createTlsServer({
      crypto,
      policy: "compat",
      certificate: { chain: [c.leaf.der, c.root.der], key: c.leaf.key.signingKey },
    });
    const client = createTlsClient({ crypto, policy: "hybrid", serverName: "localhost", verifier: lax });
    pump(client, server);
    assert.equal(client.error?.alertName, "bad_certificate", client.error?.message);
  });
});
