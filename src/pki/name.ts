/**
 * Distinguished names: building the small subset pqrpc issues (CN, O) and
 * rendering/comparing any Name. Comparison is on the DER encoding, the
 * common practice for names a CA copies byte for byte from issuer to child
 * (RFC 5280 §7.1 allows binary comparison as the first step).
 */
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from "@peculiar/asn1-x509";
import { bytesEqual } from "../bytes/bytes.ts";
import { reserializeDer } from "./der.ts";

/** X.520 attribute types (RFC 5280 Appendix A.1). */
const ATTRIBUTE_OIDS = {
  CN: "2.5.4.3",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  C: "2.5.4.6",
  L: "2.5.4.7",
  ST: "2.5.4.8",
} as const;

const SHORT_NAMES = new Map<string, string>(Object.entries(ATTRIBUTE_OIDS).map(([k, v]) => [v, k]));

export interface NameInput {
  readonly commonName: string;
  readonly organization?: string;
}

export function buildName(input: NameInput | string): Name {
  const parts = typeof input === "string" ? { commonName: input } : input;
  const rdn = (type: string, value: string) =>
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) }),
    ]);
  const rdns: RelativeDistinguishedName[] = [];
  if (parts.organization !== undefined) rdns.push(rdn(ATTRIBUTE_OIDS.O, parts.organization));
  rdns.push(rdn(ATTRIBUTE_OIDS.CN, parts.commonName));
  return new Name(rdns);
}

/** One-line rendering, most significant RDN first as in the certificate ("O=pqrpc, CN=ca"). */
export function formatName(name: Name): string {
  return name
    .map((rdn) =>
      rdn.map((atv) => `${SHORT_NAMES.get(atv.type) ?? atv.type}=${atv.value.toString()}`).join("+"),
    )
    .join(", ");
}

/** The DER of a Name, which may come from a peer: one the encoder refuses is PkiError("bad-encoding"). */
export function nameDer(name: Name): Uint8Array {
  return reserializeDer(name, "name");
}

export function namesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return bytesEqual(a, b);
}
