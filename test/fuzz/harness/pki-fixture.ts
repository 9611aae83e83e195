/**
 * The development PKIs of one fuzzing process, made once with the fuzz-mode
 * Crypto (./fuzz-crypto.ts) so that verifying their chains and signing with
 * their keys is cheap in every execution: Ed25519 for path validation (which
 * does not depend on the signature algorithm beyond the signature check
 * itself) and the seeds, ML-DSA-65 (the default) for the TLS engines, with
 * the engine configurations that use them.
 */
import type { SignatureName } from "../../../src/crypto/types.ts";
import { createDevelopmentPki, type DevelopmentPki } from "../../../src/pki/development-pki.ts";
import { createVerifier, type TrustStore } from "../../../src/pki/trust-store.ts";
import type { TlsClientConfig, TlsServerConfig } from "../../../src/tls/config.ts";
import { fuzzCrypto } from "./fuzz-crypto.ts";

export const crypto = fuzzCrypto();

const pkis = new Map<SignatureName, DevelopmentPki>();
export function fuzzPki(algorithm: SignatureName = "ed25519"): DevelopmentPki {
  let p = pkis.get(algorithm);
  if (p === undefined) pkis.set(algorithm, (p = createDevelopmentPki({ algorithm, crypto })));
  return p;
}

/** The engines' PKI: the default algorithm, ML-DSA-65. */
export const enginePki = (): DevelopmentPki => fuzzPki("ml-dsa-65");

let verifier: TrustStore | undefined;
const engineVerifier = (): TrustStore =>
  (verifier ??= createVerifier({ roots: enginePki().ca.certificate, crypto }));

/*
 * The engine tests' default configurations (src/tls/engine-test-helpers.ts) over the fuzz-mode
 * Crypto and PKI, with one trust store for every execution: those helpers parse a fresh one per
 * call, which was half of an engine execution once the crypto was cheap.
 */
export function fuzzClientConfig(overrides: Partial<TlsClientConfig> = {}): TlsClientConfig {
  return { crypto, serverName: "localhost", verifier: engineVerifier(), ...overrides };
}

export function fuzzServerConfig(overrides: Partial<TlsServerConfig> = {}): TlsServerConfig {
  return {
    crypto,
    certificate: enginePki().server.certifiedKey,
    clientVerifier: engineVerifier(),
    ...overrides,
  };
}
