/**
 * What the noble provider offers, known without loading it: the KEMs and
 * signature schemes of ./noble-kem.ts and ./noble-signature.ts, and which
 * schemes take FIPS 204 context strings. The lazy provider (./lazy.ts)
 * answers "do you have X?" from this table, so building a ClientHello's
 * signature_algorithms does not load noble's ~20 modules; noble-offers.test.ts
 * holds the table to what the real provider returns.
 */
import type { KemName, SignatureName } from "../types.ts";

export interface ProviderOffers {
  readonly kems: ReadonlySet<KemName>;
  readonly signatures: ReadonlySet<SignatureName>;
  /** Schemes whose keys have signWithContext / verifyWithContext (Signature.contextStrings). */
  readonly contextStrings: ReadonlySet<SignatureName>;
}

export const NOBLE_OFFERS: ProviderOffers = {
  kems: new Set<KemName>(["ml-kem-512", "ml-kem-768", "ml-kem-1024", "x25519", "p256", "p384"]),
  signatures: new Set<SignatureName>([
    "ml-dsa-44",
    "ml-dsa-65",
    "ml-dsa-87",
    "falcon-512",
    "falcon-1024",
    "ed25519",
    "ecdsa-p256-sha256",
    "ecdsa-p384-sha384",
    "slh-dsa-sha2-128s",
    "slh-dsa-sha2-128f",
    "slh-dsa-sha2-192s",
    "slh-dsa-sha2-192f",
    "slh-dsa-sha2-256s",
    "slh-dsa-sha2-256f",
    "slh-dsa-shake-128s",
    "slh-dsa-shake-128f",
    "slh-dsa-shake-192s",
    "slh-dsa-shake-192f",
    "slh-dsa-shake-256s",
    "slh-dsa-shake-256f",
  ]),
  contextStrings: new Set<SignatureName>(["ml-dsa-44", "ml-dsa-65", "ml-dsa-87"]),
};
