/**
 * Per-algorithm choice among the loaded providers (DESIGN.md §1.3):
 * fastest available first (./ranking.ts), overridable per call site
 * (`createCrypto` options) or per process (PQRPC_CRYPTO_PROVIDERS).
 */
import { AEAD_NAMES, HASH_NAMES, KEM_NAMES, SIGNATURE_NAMES } from "./algorithm-names.ts";
// Side effect: registers the providers this runtime starts with (node + noble; noble only in the browser bundle).
import "./builtin-providers.ts";
import { type CompositeParams, composeSignature, compositeParams } from "./composite.ts";
import { generation, loadedProvider, loadedProviderNames, registerProvider } from "./provider-registry.ts";
import { type AlgorithmKind, rankProviders } from "./ranking.ts";
import {
  type AeadName,
  type Crypto,
  CryptoError,
  type CryptoProvider,
  type HashName,
  type KemName,
  type ProviderName,
  type Signature,
  type SignatureName,
} from "./types.ts";

/** Comma-separated provider names, most preferred first, e.g. "noble" or "wasm,noble". */
export const PROVIDERS_ENV_VAR = "PQRPC_CRYPTO_PROVIDERS";

const PROVIDER_NAMES: readonly ProviderName[] = ["node", "wasm", "noble"];

export interface CryptoOptions {
  /**
   * Only these providers, in this order of preference (strict: an algorithm
   * none of them has is unsupported). Default: every loaded provider, ranked.
   */
  providers?: ProviderName[];
  /** Per-algorithm override, e.g. `{ "ml-dsa-65": "wasm" }`; used when that provider has it. */
  prefer?: Partial<Record<string, ProviderName>>;
}

function parseProviderList(value: string): ProviderName[] {
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const n of names) {
    if (!PROVIDER_NAMES.includes(n as ProviderName)) {
      throw new CryptoError("invalid-input", `${PROVIDERS_ENV_VAR}: unknown provider "${n}"`);
    }
  }
  return names as ProviderName[];
}

function envProviders(): ProviderName[] | undefined {
  const value = globalThis.process?.env?.[PROVIDERS_ENV_VAR];
  return value === undefined || value.trim() === "" ? undefined : parseProviderList(value);
}

type Lookup<T> = (provider: CryptoProvider) => T | undefined;
const selectRandom: Lookup<CryptoProvider> = (p) => p;

class SelectingCrypto implements Crypto {
  /**
   * Selections per kind, then per name. Two plain Map lookups: the TLS engine
   * asks for its hash, AEAD and random source many times per handshake, and a
   * composed string key per call showed up in handshake profiles.
   */
  private cache = new Map<AlgorithmKind, Map<string, { provider: ProviderName; value: unknown }>>();
  private cacheGeneration = -1;
  /** The selected random source, held directly (randomBytes is the hottest lookup). */
  private random: CryptoProvider | undefined;

  constructor(
    private readonly strict: readonly ProviderName[] | undefined,
    private readonly preferred: readonly ProviderName[] | undefined,
    private readonly prefer: Partial<Record<string, ProviderName>>,
  ) {}

  /** Candidate providers for one algorithm, best first. */
  private candidates(kind: AlgorithmKind, name: string): ProviderName[] {
    const order: ProviderName[] = [];
    const add = (n: ProviderName | undefined) => {
      if (n !== undefined && !order.includes(n) && (this.strict === undefined || this.strict.includes(n))) {
        order.push(n);
      }
    };
    add(this.prefer[name]);
    for (const n of this.strict ?? []) add(n);
    for (const n of this.preferred ?? []) add(n);
    if (this.strict === undefined) for (const n of rankProviders(kind, name)) add(n);
    return order;
  }

  private pick<T>(
    kind: AlgorithmKind,
    name: string,
    lookup: Lookup<T>,
  ): { provider: ProviderName; value: T } | undefined {
    const current = generation();
    if (this.cacheGeneration !== current) {
      this.cache.clear();
      this.random = undefined;
      this.cacheGeneration = current;
    }
    let perKind = this.cache.get(kind);
    if (perKind === undefined) {
      perKind = new Map();
      this.cache.set(kind, perKind);
    }
    const hit = perKind.get(name);
    if (hit !== undefined) return hit as { provider: ProviderName; value: T };
    for (const providerName of this.candidates(kind, name)) {
      const provider = loadedProvider(providerName);
      const value = provider === undefined ? undefined : lookup(provider);
      if (value !== undefined) {
        const entry = { provider: providerName, value };
        perKind.set(name, entry);
        return entry;
      }
    }
    return undefined;
  }

  private require<T>(kind: AlgorithmKind, name: string, lookup: Lookup<T>): T {
    const found = this.pick(kind, name, lookup);
    if (found === undefined) {
      throw new CryptoError("unsupported", `no loaded crypto provider offers ${kind} ${name}`);
    }
    return found.value;
  }

  randomBytes(length: number): Uint8Array {
    if (this.random === undefined || this.cacheGeneration !== generation()) {
      this.random = this.require("random", "random", selectRandom);
    }
    return this.random.randomBytes(length);
  }
  hash(name: HashName) {
    return this.require("hash", name, (p) => p.hash(name));
  }
  aead(name: AeadName) {
    return this.require("aead", name, (p) => p.aead(name));
  }
  kem(name: KemName) {
    return this.require("kem", name, (p) => p.kem(name));
  }
  signature(name: SignatureName) {
    const params = compositeParams(name);
    if (params !== undefined) {
      const composite = this.composite(params);
      if (composite === undefined)
        throw new CryptoError("unsupported", `no loaded crypto provider mix offers ${name}`);
      return composite;
    }
    return this.require("signature", name, (p) => p.signature(name));
  }
  /** Composite ML-DSA (./composite.ts) is built from components chosen like any other algorithm. */
  private composite(params: CompositeParams): Signature | undefined {
    return composeSignature(params, {
      // Keyed apart from plain ML-DSA: only providers with FIPS 204 context strings qualify.
      mldsaWithContext: (n) =>
        this.pick("signature", `${n}+context`, (p) => {
          const s = p.signature(n);
          return s?.contextStrings === true ? s : undefined;
        })?.value,
      signature: (n) => this.pick("signature", n, (p) => p.signature(n))?.value,
      hash: (n) => this.pick("hash", n, (p) => p.hash(n))?.value,
    });
  }
  hasKem(name: KemName): boolean {
    return this.pick("kem", name, (p) => p.kem(name)) !== undefined;
  }
  hasSignature(name: SignatureName): boolean {
    const params = compositeParams(name);
    if (params !== undefined) return this.composite(params) !== undefined;
    return this.pick("signature", name, (p) => p.signature(name)) !== undefined;
  }

  describe(): Record<string, ProviderName> {
    const out: Record<string, ProviderName> = {};
    const note = <T>(kind: AlgorithmKind, name: string, lookup: Lookup<T>) => {
      const found = this.pick(kind, name, lookup);
      if (found !== undefined) out[name] = found.provider;
    };
    for (const n of HASH_NAMES) note("hash", n, (p) => p.hash(n));
    for (const n of AEAD_NAMES) note("aead", n, (p) => p.aead(n));
    for (const n of KEM_NAMES) note("kem", n, (p) => p.kem(n));
    for (const n of SIGNATURE_NAMES) note("signature", n, (p) => p.signature(n));
    return out;
  }
}

/**
 * A Crypto over the loaded providers. Without `providers`, the
 * PQRPC_CRYPTO_PROVIDERS list (if set) is tried first, then the static
 * ranking fills in what those providers lack (so "wasm" still gets hashes).
 */
export function createCrypto(options: CryptoOptions = {}): Crypto {
  if (options.providers !== undefined) {
    for (const n of options.providers) {
      if (!PROVIDER_NAMES.includes(n)) throw new CryptoError("invalid-input", `unknown provider "${n}"`);
    }
  }
  return new SelectingCrypto(
    options.providers,
    options.providers ? undefined : envProviders(),
    options.prefer ?? {},
  );
}

let cached: Crypto | undefined;

/** The process-wide Crypto; it follows later registrations (e.g. the wasm provider). */
export function defaultCrypto(): Crypto {
  cached ??= createCrypto();
  return cached;
}

export { loadedProviderNames, registerProvider };
