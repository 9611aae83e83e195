/**
 * Raw public keys in and out of node:crypto KeyObjects. Node >= 24.7 reads
 * and writes them directly (format "raw-public"), which is several times
 * cheaper than the DER round trip (measured: export 4 µs vs 45 µs for
 * ML-KEM-768). Older Nodes take X25519/Ed25519 keys through JWK, whose "x"
 * member is the raw key (RFC 8037 §2): on Node 20 that costs 1 µs to export
 * and 8 µs to import, against 86 µs and 99 µs through DER, and X25519 is in
 * every default handshake. Other key types go through SubjectPublicKeyInfo DER.
 *
 * A key fresh from generateKeyPairSync must not take the JWK path (see
 * generateOkpPair): new X25519 and Ed25519 pairs come from generateOkpPair.
 */
import { createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from "node:crypto";
import { copyBytes } from "../../bytes/bytes.ts";
import { spki } from "../der.ts";
import { withoutStackTraces } from "./node-stack-traces.ts";

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

/**
 * A Buffer node:crypto returned, as a plain Uint8Array the caller owns. A
 * Buffer with an ArrayBuffer to itself (what node's C++ returns) is handed
 * over as it is: no copy of a 1,184-byte ML-KEM key or 1,088-byte
 * ciphertext, and a caller's wipe() of a shared secret zeroes node's memory
 * itself, where a copy left node's Buffer unwiped. Any other Buffer is copied
 * and then wiped.
 */
export function handOver(b: Buffer): Uint8Array {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return new Uint8Array(b.buffer, 0, b.length);
  const copy = copyBytes(b);
  b.fill(0);
  return copy;
}

/**
 * Raw public key bytes (the SPKI BIT STRING contents) of a KeyObject of known length.
 * Not for a key that generateKeyPairSync returned (use generateOkpPair): see there.
 */
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
    return withoutStackTraces(() => createPublicKey(options as never));
  }
  const crv = OKP_CURVES[keyType];
  if (crv) {
    const jwk = { kty: "OKP", crv, x: Buffer.from(raw).toString("base64url") };
    return withoutStackTraces(() => createPublicKey({ key: jwk, format: "jwk" }));
  }
  const der = Buffer.from(spki(algorithm, raw));
  return withoutStackTraces(() => createPublicKey({ key: der, format: "der", type: "spki" }));
}

/**
 * A new key pair of `type`: the raw public key and the private KeyObject. On
 * a Node with raw formats the generation encodes the public key itself
 * (publicKeyEncoding "raw-public"), so no public KeyObject is made only to be
 * exported (~2 µs less per X25519 or ML-KEM-768 pair on Node 24). Elsewhere
 * the public KeyObject is exported as before; not for X25519 and Ed25519
 * there (their export goes through JWK: use generateOkpPair).
 */
export function generateRawPublicPair(
  type: string,
  length: number,
): { publicKey: Uint8Array; privateKey: KeyObject } {
  if (!RAW_FORMAT) {
    const { publicKey, privateKey } = generateKeyPairSync(type as "x25519");
    return { publicKey: exportRawPublic(publicKey, length), privateKey };
  }
  const generateRaw = generateKeyPairSync as unknown as (
    t: string,
    options: { publicKeyEncoding: { format: "raw-public" } },
  ) => { publicKey: Buffer; privateKey: KeyObject };
  const { publicKey, privateKey } = generateRaw(type, { publicKeyEncoding: { format: "raw-public" } });
  if (publicKey.length !== length)
    throw new Error(`${type} key generation gave a ${publicKey.length}-byte public key, not ${length}`);
  return { publicKey: handOver(publicKey), privateKey };
}

/**
 * A new X25519 or Ed25519 key pair: its raw public key and its private KeyObject.
 *
 * Not generateKeyPairSync then exportRawPublic, which on Nodes without raw
 * formats exports through JWK: Node 20 holds the key's mutex while it
 * allocates the JWK's strings, and a garbage collection there that finalizes
 * the pair's (already unreachable) key generation job runs the job's
 * destructor, which takes the same mutex. The thread then waits on itself
 * forever, and Worker.terminate() cannot stop it (gdb: ~KeyGenJob <-
 * GlobalHandles::InvokeFirstPassWeakCallbacks <- Heap::CollectGarbage <-
 * ExportJWKEdKey; it stopped the TLS engine fuzz targets after ~50k
 * handshakes, and a loop of generateKeyPairSync("x25519") and a JWK export
 * within seconds). Asked for the JWK encoding, the generation encodes the
 * public key itself while its job is alive; the private key is only ever
 * used for agreement or signing, never exported through JWK.
 */
export function generateOkpPair(
  type: keyof typeof OKP_CURVES,
  length: number,
): { publicKey: Uint8Array; privateKey: KeyObject } {
  if (RAW_FORMAT) return generateRawPublicPair(type, length);
  const generateWithJwkPublic = generateKeyPairSync as unknown as (
    t: string,
    options: { publicKeyEncoding: { format: "jwk" } },
  ) => { publicKey: JsonWebKey; privateKey: KeyObject };
  const { publicKey, privateKey } = generateWithJwkPublic(type, { publicKeyEncoding: { format: "jwk" } });
  return { publicKey: copyBytes(Buffer.from(publicKey.x ?? "", "base64url")), privateKey };
}
