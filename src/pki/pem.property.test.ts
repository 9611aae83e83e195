/**
 * decode(encode(x)) = x for PEM (RFC 7468) and for the X.509 extensions the
 * issuer writes (RFC 5280 §4.2.1: basicConstraints, keyUsage,
 * extendedKeyUsage, subjectAltName, key identifiers).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { KeyUsageFlags } from "@peculiar/asn1-x509";
import fc from "fast-check";
import {
  buildExtensions,
  EXTENDED_KEY_USAGE_OIDS,
  type ExtendedKeyUsageName,
  type KeyUsageName,
  parseExtensions,
  subjectAltNameExtension,
} from "./extensions.ts";
import { parseIpAddress } from "./ip-address.ts";
import { decodePemBlocks, encodePem } from "./pem.ts";

// An empty block is refused by the decoder on purpose (no PEM file we read may hold one), so bodies have a byte.
test("PEM blocks decode to their labels and bytes, with explanatory text between them", () => {
  const block = fc.record(
    {
      label: fc.stringMatching(/^[A-Z0-9]([A-Z0-9 ]{0,30}[A-Z0-9])?$/),
      der: fc.uint8Array({ minLength: 1, maxLength: 600 }),
    },
    { noNullPrototype: true },
  );
  const text = fc.stringMatching(/^[a-z ,.\n]{0,40}$/);
  fc.assert(
    fc.property(fc.array(fc.tuple(text, block), { minLength: 1, maxLength: 5 }), (items) => {
      const pem = items.map(([t, b]) => t + encodePem(b.label, b.der)).join("");
      assert.deepStrictEqual(
        decodePemBlocks(pem),
        items.map(([, b]) => b),
      );
    }),
    { numRuns: 300 },
  );
});

const dnsName = fc.domain().filter((d) => d.length <= 253);
const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6();

test("built X.509 extensions parse back to their inputs", () => {
  fc.assert(
    fc.property(
      fc.option(fc.record({ pathLen: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }) }), {
        nil: undefined,
      }),
      fc.uniqueArray(
        fc.constantFrom(
          ...(Object.keys(KeyUsageFlags).filter((k) => Number.isNaN(Number(k))) as KeyUsageName[]),
        ),
      ),
      fc.uniqueArray(fc.constantFrom(...(Object.keys(EXTENDED_KEY_USAGE_OIDS) as ExtendedKeyUsageName[]))),
      fc.array(dnsName, { maxLength: 5 }),
      fc.array(fc.oneof(ipv4, ipv6), { maxLength: 3 }),
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      fc.option(fc.uint8Array({ minLength: 1, maxLength: 32 }), { nil: undefined }),
      (ca, keyUsage, eku, dns, ips, ski, aki) => {
        const parsed = parseExtensions(
          buildExtensions({
            ...(ca ? { ca: ca.pathLen === undefined ? {} : { pathLen: ca.pathLen } } : {}),
            keyUsage,
            extendedKeyUsage: eku,
            subjectAltNames: [...dns, ...ips],
            subjectKeyIdentifier: ski,
            ...(aki ? { authorityKeyIdentifier: aki } : {}),
          }),
        );
        assert.equal(parsed.basicConstraints?.ca, ca !== undefined);
        assert.equal(parsed.basicConstraints?.pathLen, ca?.pathLen);
        assert.deepStrictEqual([...(parsed.keyUsage ?? [])].sort(), [...keyUsage].sort());
        assert.deepStrictEqual(
          parsed.extendedKeyUsage ?? [],
          eku.map((u) => EXTENDED_KEY_USAGE_OIDS[u]),
        );
        if (dns.length + ips.length > 0) {
          assert.deepStrictEqual(parsed.subjectAltName?.dnsNames, dns);
          assert.deepStrictEqual(
            parsed.subjectAltName?.ipAddresses.map((b) => Array.from(b)),
            ips.map((ip) => Array.from(parseIpAddress(ip)!)),
          );
        } else assert.equal(parsed.subjectAltName, undefined);
        assert.deepStrictEqual(parsed.subjectKeyIdentifier, ski);
        assert.deepStrictEqual(parsed.authorityKeyIdentifier, aki);
        assert.deepStrictEqual(parsed.unhandledCritical, []);
      },
    ),
    { numRuns: 200 },
  );
});

// Found by the property above: the ASN.1 library's own IP text parser encoded "::ffff:1.2.3.4" as ::ffff:0.1
// and threw a plain Error on a full form with a dotted tail, so a certificate named another address than asked.
test("IPv6 subjectAltNames with a dotted IPv4 tail encode the address they name", () => {
  for (const [text, hex] of [
    ["::ffff:1.2.3.4", "00000000000000000000ffff01020304"],
    ["::0:0.0.0.1", "00000000000000000000000000000001"],
    ["1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304"],
    ["[fe80::1]", "fe800000000000000000000000000001"],
  ] as const) {
    const san = parseExtensions([subjectAltNameExtension([text])]).subjectAltName;
    assert.deepStrictEqual(
      san?.ipAddresses.map((b) => Buffer.from(b).toString("hex")),
      [hex],
      text,
    );
  }
});
