/**
 * Raw public keys in and out of node:crypto KeyObjects. Node >= 24.7 reads
 * and writes them directly (format "raw-public"), which is several times
 * cheaper than the DER round trip (measured: export 4 µs vs 45 µs for
 * ML-KEM-768). Older Nodes take X25519/Ed25519 keys through JWK, whose "x"
 * member is the raw key (RFC 8037 §2): on Node 20 that costs 1 µs to export
 * and 8 µs to import, against 86 µs and 99 µs through DER, and X25519 is in
 * every default handshake. Other key types go through SubjectPublicKeyInfo DER.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { copyBytes } from "../../bytes/bytes.ts";
import { spki } from "../der.ts";

type RawFormatOptions = { key: Uint8Array; format: "raw-public"; asymmetricKeyType: string };

function probeRawFormat(): boolean {
  try {
    const { publicKey } = generateKeyPairSync("x25519");
    const raw = (publicKey.export as (o: { format: string }) => Buffer)({ format: "raw-public" });
    const back = createPublicKey({ key: raw, format: "raw-public", asymmetricKeyType: "x25519" } as never);
    return back.equals(publicKey);
  } catch {
    return false;
  }
}

const RAW_FORMAT = probeRawFormat();

/** RFC 8037 OKP curve names of the key types that have one. */
const OKP_CURVES: Readonly<Record<string, string>> = { x25519: "X25519", ed25519: "Ed25519" };

/** Raw public key bytes (the SPKI BIT STRING contents) of a KeyObject of known length. */
export function exportRawPublic(key: KeyObject, length: number): Uint8Array {
  if (RAW_FORMAT)
    return copyBytes((key.export as (o: { format: string }) => Buffer)({ format: "raw-public" }));
  if (key.asymmetricKeyType && OKP_CURVES[key.asymmetricKeyType]) {
    return copyBytes(Buffer.from(key.export({ format: "jwk" }).x ?? "", "base64url"));
  }
  const der = key.export({ format: "der", type: "spki" });
  return copyBytes(der.subarray(der.length - length));
}

/** A public KeyObject from raw bytes; `algorithm` is the DER AlgorithmIdentifier for the fallback. */
export function importRawPublic(keyType: string, algorithm: Uint8Array, raw: Uint8Array): KeyObject {
  if (RAW_FORMAT) {
    const options: RawFormatOptions = { key: raw, format: "raw-public", asymmetricKeyType: keyType };
    return createPublicKey(options as never);
  }
  const crv = OKP_CURVES[keyType];
  if (crv) {
    return createPublicKey({
      key: { kty: "OKP", crv, x: Buffer.from(raw).toString("base64url") },
      format: "jwk",
    });
  }
  return createPublicKey({ key: Buffer.from(spki(algorithm, raw)), format: "der", type: "spki" });
}
