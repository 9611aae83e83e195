/**
 * A Crypto decorator that times the public-key operations of whichever
 * provider serves each algorithm (pqrpc.crypto.operation.duration, by
 * algorithm, operation and provider): KEM key generation, encapsulation and
 * decapsulation, signing and verification. Hashes and AEADs pass through
 * untimed: they run per record, and a clock read per record would cost more
 * than the measurement is worth.
 */
import type { Attributes, Histogram, Meter } from "@opentelemetry/api";
import type { Crypto, Kem, Signature, SignatureName, SigningKey, VerifyingKey } from "../crypto/types.ts";
import type { CertifiedKey, PeerVerifier } from "../pki/types.ts";
import {
  ATTR_CRYPTO_ALGORITHM,
  ATTR_CRYPTO_OPERATION,
  ATTR_CRYPTO_PROVIDER,
  CRYPTO_DURATION_BUCKETS_S,
  PQRPC_CRYPTO_OPERATION_DURATION,
} from "./semconv.ts";

const MS_PER_S = 1000;

export function cryptoDurationHistogram(meter: Meter): Histogram {
  return meter.createHistogram(PQRPC_CRYPTO_OPERATION_DURATION, {
    description: "Public-key operations (KEM, signatures), by algorithm, operation and provider",
    unit: "s",
    advice: { explicitBucketBoundaries: CRYPTO_DURATION_BUCKETS_S },
  });
}

type Timer = <T>(fn: () => T) => T;

function timer(histogram: Histogram, algorithm: string, provider: string, operation: string): Timer {
  const attrs: Attributes = {
    [ATTR_CRYPTO_ALGORITHM]: algorithm,
    [ATTR_CRYPTO_PROVIDER]: provider,
    [ATTR_CRYPTO_OPERATION]: operation,
  };
  return (fn) => {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      histogram.record((performance.now() - t0) / MS_PER_S, attrs);
    }
  };
}

function timedKem(kem: Kem, h: Histogram): Kem {
  const keygen = timer(h, kem.name, kem.provider, "keygen");
  const encap = timer(h, kem.name, kem.provider, "encapsulate");
  const decap = timer(h, kem.name, kem.provider, "decapsulate");
  return {
    name: kem.name,
    provider: kem.provider,
    publicKeyLength: kem.publicKeyLength,
    ciphertextLength: kem.ciphertextLength,
    sharedSecretLength: kem.sharedSecretLength,
    generateKeyPair: () => keygen(() => kem.generateKeyPair()),
    encapsulate: (pk) => encap(() => kem.encapsulate(pk)),
    decapsulate: (sk, ct) => decap(() => kem.decapsulate(sk, ct)),
  };
}

function timedSigner(key: SigningKey, sign: Timer): SigningKey {
  return {
    algorithm: key.algorithm,
    sign: (m) => sign(() => key.sign(m)),
    ...(key.signWithContext === undefined
      ? {}
      : { signWithContext: (m: Uint8Array, c: Uint8Array) => sign(() => key.signWithContext!(m, c)) }),
  };
}

function timedVerifier(key: VerifyingKey, verify: Timer): VerifyingKey {
  return {
    algorithm: key.algorithm,
    verify: (m, s) => verify(() => key.verify(m, s)),
    ...(key.verifyWithContext === undefined
      ? {}
      : {
          verifyWithContext: (m: Uint8Array, s: Uint8Array, c: Uint8Array) =>
            verify(() => key.verifyWithContext!(m, s, c)),
        }),
  };
}

/** The provider that `crypto` picks for a key's algorithm: keys loaded earlier came from that selection. */
function providerOf(crypto: Crypto, algorithm: SignatureName): string {
  return crypto.hasSignature(algorithm) ? crypto.signature(algorithm).provider : "unknown";
}

/** An identity whose CertificateVerify signatures are timed (identities are loaded before telemetry exists). */
export function instrumentIdentity(
  identity: CertifiedKey,
  crypto: Crypto,
  histogram: Histogram,
): CertifiedKey {
  const alg = identity.key.algorithm;
  return {
    chain: identity.chain,
    key: timedSigner(identity.key, timer(histogram, alg, providerOf(crypto, alg), "sign")),
  };
}

/** A verifier whose peer keys time their CertificateVerify checks. */
export function instrumentVerifier(
  verifier: PeerVerifier,
  crypto: Crypto,
  histogram: Histogram,
): PeerVerifier {
  return {
    verify(request) {
      const peer = verifier.verify(request);
      const t = timer(histogram, peer.algorithm, providerOf(crypto, peer.algorithm), "verify");
      return { ...peer, key: timedVerifier(peer.key, t) };
    },
  };
}

function timedSignature(sig: Signature, h: Histogram): Signature {
  const sign = timer(h, sig.name, sig.provider, "sign");
  const verify = timer(h, sig.name, sig.provider, "verify");
  const keygen = timer(h, sig.name, sig.provider, "keygen");
  const signer = (key: SigningKey) => timedSigner(key, sign);
  const verifier = (key: VerifyingKey) => timedVerifier(key, verify);
  return {
    name: sig.name,
    provider: sig.provider,
    ...(sig.contextStrings === undefined ? {} : { contextStrings: sig.contextStrings }),
    generateKeyPair: () => keygen(() => sig.generateKeyPair()),
    publicKeyFromPrivate: (sk) => sig.publicKeyFromPrivate(sk),
    importPrivateKey: (sk) => signer(sig.importPrivateKey(sk)),
    importPublicKey: (pk) => verifier(sig.importPublicKey(pk)),
  };
}

/**
 * `crypto` with its KEM and signature operations timed into `histogram`.
 * Wrappers are made per lookup, not cached: the selection behind `crypto`
 * may change (a provider loaded later serves an algorithm faster), and a
 * handshake looks an algorithm up a few times, not per record.
 */
export function instrumentCrypto(crypto: Crypto, histogram: Histogram): Crypto {
  return {
    randomBytes: (n) => crypto.randomBytes(n),
    hash: (name) => crypto.hash(name),
    aead: (name) => crypto.aead(name),
    kem: (name) => timedKem(crypto.kem(name), histogram),
    signature: (name) => timedSignature(crypto.signature(name), histogram),
    hasKem: (name) => crypto.hasKem(name),
    hasSignature: (name) => crypto.hasSignature(name),
    describe: () => crypto.describe(),
  };
}
