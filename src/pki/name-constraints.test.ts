/**
 * RFC 5280 §4.2.1.10 / §6.1: nameConstraints are processed whether the
 * extension is critical or not (issue 9 item 7), and a constrained CA is
 * usable for the names it may certify.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  Certificate,
  Extension,
  Extensions,
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  id_ce_nameConstraints,
  Name,
  NameConstraints,
} from "@peculiar/asn1-x509";
import { makeChild, makeRoot, type TestCert } from "./test-helpers.ts";
import { createVerifier } from "./trust-store.ts";
import { PkiError } from "./types.ts";

type Base = Partial<GeneralName>;
const trees = (bases: Base[]) =>
  new GeneralSubtrees(bases.map((b) => new GeneralSubtree({ base: new GeneralName(b) })));

/** `cert` with a nameConstraints extension added, re-signed by `signer` (itself when self-signed). */
function constrain(
  cert: TestCert,
  signer: TestCert,
  nc: { permitted?: Base[]; excluded?: Base[] },
  critical: boolean,
): TestCert {
  const parsed = AsnConvert.parse(cert.der, Certificate);
  const value = new NameConstraints({
    ...(nc.permitted ? { permittedSubtrees: trees(nc.permitted) } : {}),
    ...(nc.excluded ? { excludedSubtrees: trees(nc.excluded) } : {}),
  });
  const exts = parsed.tbsCertificate.extensions ?? new Extensions();
  exts.push(
    new Extension({
      extnID: id_ce_nameConstraints,
      critical,
      extnValue: new OctetString(AsnConvert.serialize(value)),
    }),
  );
  parsed.tbsCertificate.extensions = exts;
  const tbs = new Uint8Array(AsnConvert.serialize(parsed.tbsCertificate));
  parsed.signatureValue = signer.key.signingKey.sign(tbs).slice().buffer;
  parsed.tbsCertificateRaw = undefined;
  return { der: new Uint8Array(AsnConvert.serialize(parsed)), key: cert.key };
}

function leafFor(issuer: TestCert, sans: string[], subject = "server"): TestCert {
  return makeChild(issuer, subject, { extendedKeyUsage: ["serverAuth"], subjectAltNames: sans });
}

function outcome(root: TestCert, chain: Uint8Array[]): string {
  try {
    createVerifier({ roots: root.der }).verify({ chain, usage: "server" });
    return "ok";
  } catch (e) {
    if (e instanceof PkiError) return e.code;
    throw e;
  }
}

describe("nameConstraints on an intermediate CA", () => {
  const root = makeRoot();
  for (const critical of [true, false]) {
    describe(critical ? "critical" : "non-critical", () => {
      const plain = makeChild(root, "constrained CA", { ca: {} });
      const ca = constrain(
        plain,
        root,
        {
          permitted: [{ dNSName: "example.com" }, { iPAddress: "10.0.0.0/8" }],
          excluded: [{ dNSName: "secret.example.com" }, { iPAddress: "10.9.0.0/16" }],
        },
        critical,
      );
      const cases: [string[], string][] = [
        [["example.com"], "ok"],
        [["www.example.com", "a.b.example.com"], "ok"],
        [["*.api.example.com"], "ok"],
        [["10.1.2.3"], "ok"],
        [["::1"], "ok"], // no IPv6 subtree: IPv6 is unconstrained
        [["badexample.com"], "name-constraints"],
        [["www.example.org"], "name-constraints"],
        [["example.com", "evil.org"], "name-constraints"],
        [["secret.example.com"], "name-constraints"],
        [["db.secret.example.com"], "name-constraints"],
        [["*.secret.example.com"], "name-constraints"],
        [["11.0.0.1"], "name-constraints"],
        [["10.9.1.1"], "name-constraints"],
      ];
      for (const [sans, expected] of cases) {
        it(`${sans.join(", ")} -> ${expected}`, () => {
          assert.equal(outcome(root, [leafFor(ca, sans).der, ca.der]), expected);
        });
      }
    });
  }

  it("an excluded name reachable by a wildcard SAN is refused (*.example.com could be secret.example.com)", () => {
    const ca = constrain(
      makeChild(root, "ca", { ca: {} }),
      root,
      { excluded: [{ dNSName: "secret.example.com" }] },
      true,
    );
    assert.equal(outcome(root, [leafFor(ca, ["*.example.com"]).der, ca.der]), "name-constraints");
    assert.equal(outcome(root, [leafFor(ca, ["*.other.example.com"]).der, ca.der]), "ok");
  });

  it("a leading-dot subtree covers subdomains only", () => {
    const ca = constrain(
      makeChild(root, "ca", { ca: {} }),
      root,
      { permitted: [{ dNSName: ".example.com" }] },
      false,
    );
    assert.equal(outcome(root, [leafFor(ca, ["a.example.com"]).der, ca.der]), "ok");
    assert.equal(outcome(root, [leafFor(ca, ["example.com"]).der, ca.der]), "name-constraints");
  });

  it("constraints bind every certificate below, through a further intermediate", () => {
    const ca = constrain(
      makeChild(root, "ca", { ca: {} }),
      root,
      { permitted: [{ dNSName: "example.com" }] },
      true,
    );
    const sub = makeChild(ca, "sub", { ca: {} });
    assert.equal(outcome(root, [leafFor(sub, ["x.example.com"]).der, sub.der, ca.der]), "ok");
    assert.equal(outcome(root, [leafFor(sub, ["x.example.net"]).der, sub.der, ca.der]), "name-constraints");
  });

  it("directoryName subtrees constrain the subject, RDN by RDN", () => {
    const permittedName = AsnConvert.parse(
      new Uint8Array(
        AsnConvert.serialize(
          AsnConvert.parse(leafFor(root, ["a.example"]).der, Certificate).tbsCertificate.subject,
        ),
      ),
      Name,
    );
    const ca = constrain(
      makeChild(root, "ca", { ca: {} }),
      root,
      { permitted: [{ directoryName: permittedName }] },
      true,
    );
    assert.equal(outcome(root, [leafFor(ca, ["a.example"], "server").der, ca.der]), "ok");
    assert.equal(outcome(root, [leafFor(ca, ["a.example"], "someone else").der, ca.der]), "name-constraints");
  });

  it("a constraint on a name form pqrpc does not check (rfc822Name) refuses the CA rather than being ignored", () => {
    const ca = constrain(
      makeChild(root, "ca", { ca: {} }),
      root,
      { permitted: [{ rfc822Name: "example.com" }] },
      false,
    );
    assert.equal(outcome(root, [leafFor(ca, ["a.example.com"]).der, ca.der]), "name-constraints");
  });

  it("a trust anchor's own constraints apply", () => {
    const self = makeRoot();
    const constrainedRoot = constrain(self, self, { permitted: [{ dNSName: "example.com" }] }, true);
    assert.equal(outcome(constrainedRoot, [leafFor(constrainedRoot, ["www.example.com"]).der]), "ok");
    assert.equal(
      outcome(constrainedRoot, [leafFor(constrainedRoot, ["www.example.org"]).der]),
      "name-constraints",
    );
  });
});
