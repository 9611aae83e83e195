import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Certificate, Extension, Extensions } from "@peculiar/asn1-x509";
import { createDevelopmentPki } from "./development-pki.ts";
import { issueCertificate } from "./issue.ts";
import { publicKeyInfo } from "./keys.ts";
import { MAX_PATH_CERTIFICATES, MAX_PRESENTED_CERTIFICATES } from "./limits.ts";
import { encodePem } from "./pem.ts";
import { flipByte, makeChild, makeRoot, makeServerLeaf } from "./test-helpers.ts";
import { createVerifier, TrustStore } from "./trust-store.ts";
import { PkiError, type PkiErrorCode } from "./types.ts";

const DAY = 24 * 3600 * 1000;

function expectCode(code: PkiErrorCode, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof PkiError, `expected PkiError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (process.env.PKI_DEBUG) console.log(code, "->", e.message);
    return true;
  });
}

describe("TrustStore path validation", () => {
  const root = makeRoot();
  const leaf = makeServerLeaf(root, { subjectAltNames: ["localhost", "*.example.com", "127.0.0.1", "::1"] });
  const verifier = createVerifier({ roots: encodePem("CERTIFICATE", root.der) });

  it("accepts a leaf issued by a root, with the leaf key and the path", () => {
    const peer = verifier.verify({ chain: [leaf.der], serverName: "localhost", usage: "server" });
    assert.equal(peer.algorithm, "ed25519");
    assert.deepEqual(peer.path, [leaf.der, root.der]);
    const sig = leaf.key.signingKey.sign(new Uint8Array([1, 2, 3]));
    assert.equal(peer.key.verify(new Uint8Array([1, 2, 3]), sig), true);
  });

  it("matches SAN DNS names, one-label wildcards and IP addresses; no CN fallback", () => {
    for (const name of ["LOCALHOST", "localhost.", "a.example.com", "127.0.0.1", "::1", "0:0::1", "[::1]"]) {
      verifier.verify({ chain: [leaf.der], serverName: name, usage: "server" });
    }
    for (const name of ["server", "example.com", "a.b.example.com", "127.0.0.2", "::2", "localhost2", ""]) {
      expectCode("name-mismatch", () =>
        verifier.verify({ chain: [leaf.der], serverName: name, usage: "server" }),
      );
    }
  });

  it("builds paths through intermediates given in any order or configured", () => {
    const a = makeChild(root, "int A", { ca: {} });
    const b = makeChild(a, "int B", { ca: {} });
    const l = makeServerLeaf(b);
    const peer = verifier.verify({ chain: [l.der, a.der, b.der], serverName: "localhost", usage: "server" });
    assert.deepEqual(peer.path, [l.der, b.der, a.der, root.der]);
    const withPool = createVerifier({ roots: [root.der], intermediates: [b.der, a.der] });
    assert.equal(withPool.verify({ chain: [l.der], usage: "server" }).path.length, 4);
    expectCode("unknown-ca", () => verifier.verify({ chain: [l.der, b.der], usage: "server" }));
  });

  it("unknown-ca: another CA, or a self-signed leaf", () => {
    const other = makeRoot();
    expectCode("unknown-ca", () => verifier.verify({ chain: [makeServerLeaf(other).der], usage: "server" }));
    expectCode("unknown-ca", () => verifier.verify({ chain: [other.der], usage: "server" }));
  });

  it("bad-signature: one flipped byte in the leaf signature or TBS", () => {
    expectCode("bad-signature", () => verifier.verify({ chain: [flipByte(leaf.der, -1)], usage: "server" }));
    // A byte inside the validity's seconds digits keeps the DER well-formed but breaks the signature.
    // Find the notBefore UTCTime by its whole shape (tag, length, twelve digits, "Z"): a lone
    // 0x5a byte can also occur in the serial number or the key.
    const der = leaf.der.slice();
    const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;
    const at = der.findIndex(
      (b, i) =>
        b === 0x17 &&
        der[i + 1] === 0x0d &&
        der[i + 14] === 0x5a &&
        der.subarray(i + 2, i + 14).every(isDigit),
    );
    assert.ok(at >= 0, "the leaf has a UTCTime");
    const z = at + 14;
    der[z - 1] = der[z - 1] === 0x30 ? 0x31 : 0x30;
    expectCode("bad-signature", () => verifier.verify({ chain: [der], usage: "server" }));
  });

  it("expired and not-yet-valid certificates", () => {
    const now = Date.now();
    const old = makeServerLeaf(root, { notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - DAY) });
    expectCode("expired", () => verifier.verify({ chain: [old.der], usage: "server" }));
    expectCode("expired", () =>
      verifier.verify({ chain: [leaf.der], usage: "server", now: new Date(now + 400 * DAY) }),
    );
    expectCode("expired", () =>
      verifier.verify({ chain: [leaf.der], usage: "server", now: new Date(now - 2 * DAY) }),
    );
    const later = createVerifier({ roots: root.der, now: () => new Date(now + 400 * DAY) });
    expectCode("expired", () => later.verify({ chain: [leaf.der], usage: "server" }));
  });

  it("bad-usage: EKU, keyUsage, basicConstraints and pathLen", () => {
    const client = makeChild(root, "client", { extendedKeyUsage: ["clientAuth"] });
    expectCode("bad-usage", () => verifier.verify({ chain: [client.der], usage: "server" }));
    verifier.verify({ chain: [client.der], usage: "client" });
    expectCode("bad-usage", () => verifier.verify({ chain: [leaf.der], usage: "client" }));
    const noDigitalSignature = makeServerLeaf(root, { keyUsage: ["keyEncipherment"] });
    expectCode("bad-usage", () => verifier.verify({ chain: [noDigitalSignature.der], usage: "server" }));
    const caAsLeaf = makeChild(root, "ca leaf", { ca: {} });
    expectCode("bad-usage", () => verifier.verify({ chain: [caAsLeaf.der], usage: "server" }));
    const notCa = makeChild(root, "not a ca");
    expectCode("bad-usage", () =>
      verifier.verify({ chain: [makeServerLeaf(notCa).der, notCa.der], usage: "server" }),
    );
    const noCertSign = makeChild(root, "no certsign", { ca: {}, keyUsage: ["digitalSignature"] });
    expectCode("bad-usage", () =>
      verifier.verify({ chain: [makeServerLeaf(noCertSign).der, noCertSign.der], usage: "server" }),
    );
    const strictRoot = makeRoot("ed25519", { ca: { pathLen: 0 } });
    const strict = createVerifier({ roots: strictRoot.der });
    const mid = makeChild(strictRoot, "mid", { ca: {} });
    strict.verify({ chain: [makeServerLeaf(strictRoot).der], usage: "server" });
    expectCode("bad-usage", () =>
      strict.verify({ chain: [makeServerLeaf(mid).der, mid.der], usage: "server" }),
    );
  });

  it("path-too-long: deep chains and oversized presented chains", () => {
    let issuer = root;
    const presented: Uint8Array[] = [];
    for (let i = 0; i < MAX_PATH_CERTIFICATES; i++) {
      issuer = makeChild(issuer, `deep ${i}`, { ca: {} });
      presented.unshift(issuer.der);
    }
    const deepLeaf = makeServerLeaf(issuer);
    expectCode("path-too-long", () =>
      verifier.verify({ chain: [deepLeaf.der, ...presented], usage: "server" }),
    );
    const many = new Array<Uint8Array>(MAX_PRESENTED_CERTIFICATES + 1).fill(leaf.der);
    expectCode("path-too-long", () => verifier.verify({ chain: many, usage: "server" }));
  });

  it("bad-encoding: garbage, trailing bytes, empty chain, unknown critical extension", () => {
    expectCode("bad-encoding", () =>
      verifier.verify({ chain: [new Uint8Array([0x30, 0x03, 1, 2])], usage: "server" }),
    );
    expectCode("bad-encoding", () =>
      verifier.verify({ chain: [new Uint8Array([...leaf.der, 0])], usage: "server" }),
    );
    expectCode("bad-encoding", () => verifier.verify({ chain: [], usage: "server" }));
    const cert = AsnConvert.parse(leaf.der, Certificate);
    const exts = cert.tbsCertificate.extensions ?? new Extensions();
    exts.push(
      new Extension({
        extnID: "1.2.3.4.5",
        critical: true,
        extnValue: new OctetString(new Uint8Array([5, 0])),
      }),
    );
    cert.tbsCertificate.extensions = exts;
    const tbs = new Uint8Array(AsnConvert.serialize(cert.tbsCertificate));
    cert.signatureValue = root.key.signingKey.sign(tbs).slice().buffer;
    cert.tbsCertificateRaw = undefined;
    const reSigned = new Uint8Array(AsnConvert.serialize(cert));
    expectCode("bad-encoding", () => verifier.verify({ chain: [reSigned], usage: "server" }));
  });

  it("unsupported-algorithm: an unknown signature OID", () => {
    const cert = AsnConvert.parse(leaf.der, Certificate);
    cert.signatureAlgorithm.algorithm = "1.2.3.4";
    cert.tbsCertificate.signature.algorithm = "1.2.3.4";
    cert.tbsCertificateRaw = undefined;
    expectCode("unsupported-algorithm", () =>
      verifier.verify({ chain: [new Uint8Array(AsnConvert.serialize(cert))], usage: "server" }),
    );
  });

  it("validates an ML-DSA-65 chain", () => {
    const pqRoot = makeRoot("ml-dsa-65");
    const pqLeaf = makeServerLeaf(pqRoot);
    const peer = new TrustStore({ roots: [pqRoot.der] }).verify({
      chain: [pqLeaf.der],
      serverName: "localhost",
      usage: "server",
    });
    assert.equal(peer.algorithm, "ml-dsa-65");
    expectCode("bad-signature", () =>
      new TrustStore({ roots: [pqRoot.der] }).verify({ chain: [flipByte(pqLeaf.der, -5)], usage: "server" }),
    );
  });
});

it("a reconnecting peer's chain is validated again on every call, cache or not", () => {
  const pki = createDevelopmentPki({ algorithm: "ed25519" });
  const store = new TrustStore({ roots: pki.ca.certificate });
  const chain = pki.server.certifiedKey.chain;
  for (let i = 0; i < 3; i++) {
    assert.equal(store.verify({ chain, serverName: "localhost", usage: "server" }).algorithm, "ed25519");
  }
  // Same (cached) certificates, checked against another name and another time: still refused.
  assert.throws(
    () => store.verify({ chain, serverName: "example.com", usage: "server" }),
    (e: unknown) => e instanceof PkiError && e.code === "name-mismatch",
  );
  assert.throws(
    () => store.verify({ chain, serverName: "localhost", usage: "server", now: new Date(Date.UTC(2100, 0)) }),
    (e: unknown) => e instanceof PkiError && e.code === "expired",
  );
});

describe("TrustStore: acceptSignature (the caller's policy over every signature on the path)", () => {
  const pq = (a: string) => a.startsWith("ml-dsa");
  it("reports the algorithm of each signature that links the path", () => {
    const root = makeRoot("ed25519");
    const mid = makeChild(root, "mid", { ca: {} }, "ml-dsa-44");
    const leaf = makeChild(mid, "server", { extendedKeyUsage: ["serverAuth"] }, "ml-dsa-65");
    const peer = createVerifier({ roots: root.der }).verify({ chain: [leaf.der, mid.der], usage: "server" });
    assert.deepEqual(peer.pathSignatures, ["ml-dsa-44", "ed25519"]);
  });
  it("refuses an edge signed with a refused algorithm, before verifying it", () => {
    const root = makeRoot("ed25519");
    const leaf = makeChild(root, "server", { extendedKeyUsage: ["serverAuth"] }, "ml-dsa-65");
    const store = createVerifier({ roots: root.der });
    expectCode("disallowed-signature", () =>
      store.verify({ chain: [leaf.der], usage: "server", acceptSignature: pq }),
    );
    assert.equal(store.verify({ chain: [leaf.der], usage: "server" }).algorithm, "ml-dsa-65");
  });
  it("finds the acceptable path through a cross-signed CA", () => {
    const classical = makeRoot("ed25519", { subject: "classical root" });
    const pqRoot = makeRoot("ml-dsa-65", { subject: "pq root" });
    const midKey = makeChild(pqRoot, "mid", { ca: {} }, "ml-dsa-65");
    // The same CA (subject and key) certified by both roots.
    const midByClassical = issueCertificate({
      subject: "mid",
      ca: {},
      publicKey: publicKeyInfo(midKey.key),
      signingKey: classical.key.signingKey,
      issuerCertificate: classical.der,
    });
    const leaf = makeChild(midKey, "server", { extendedKeyUsage: ["serverAuth"] }, "ml-dsa-65");
    const store = createVerifier({ roots: [classical.der, pqRoot.der] });
    const peer = store.verify({
      chain: [leaf.der, midByClassical, midKey.der],
      usage: "server",
      acceptSignature: pq,
    });
    assert.deepEqual(peer.pathSignatures, ["ml-dsa-65", "ml-dsa-65"]);
    assert.deepEqual(peer.path.at(-1), pqRoot.der);
  });
});
