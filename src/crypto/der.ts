/**
 * The few fixed DER shapes needed to hand raw keys to node:crypto
 * (X.690 definite-length encoding): SubjectPublicKeyInfo (RFC 5280 §4.1)
 * and PKCS#8 OneAsymmetricKey (RFC 5958). pki/ owns general X.509 parsing;
 * this file only wraps bytes we already trust the shape of.
 */

import { concatBytes } from "../bytes/bytes.ts";

const TAG_SEQUENCE = 0x30;
const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_OID = 0x06;

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

export function tlv(tag: number, ...contents: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of contents) length += c.length;
  return concatBytes(Uint8Array.from([tag, ...encodeLength(length)]), ...contents);
}

/** X.690 §8.19 OBJECT IDENTIFIER from dotted form. */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  const body: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const septets: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) septets.unshift(0x80 | (n & 0x7f));
    body.push(...septets);
  }
  return tlv(TAG_OID, Uint8Array.from(body));
}

export const sequence = (...items: readonly Uint8Array[]): Uint8Array => tlv(TAG_SEQUENCE, ...items);
export const octetString = (bytes: Uint8Array): Uint8Array => tlv(TAG_OCTET_STRING, bytes);

/** AlgorithmIdentifier with parameters absent, or with one OID parameter (EC named curve). */
export function algorithmIdentifier(oid: string, parameterOid?: string): Uint8Array {
  return parameterOid === undefined
    ? sequence(encodeOid(oid))
    : sequence(encodeOid(oid), encodeOid(parameterOid));
}

/** SubjectPublicKeyInfo with the raw key as BIT STRING contents (no unused bits). */
export function spki(algorithm: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return sequence(algorithm, tlv(TAG_BIT_STRING, Uint8Array.of(0), publicKey));
}

/** PKCS#8 v1 (version 0) with `privateKey` as the OCTET STRING contents. */
export function pkcs8(algorithm: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return sequence(tlv(TAG_INTEGER, Uint8Array.of(0)), algorithm, octetString(privateKey));
}
