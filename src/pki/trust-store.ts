/**
 * Certification path validation (RFC 5280 §6, the subset TLS needs) behind
 * the PeerVerifier contract of ./types.ts.
 *
 * Path building: from the leaf, issuers are looked up by name (and key
 * identifier when both sides carry one) among the trust anchors first, then
 * among the peer's extra certificates and the configured intermediates, in any
 * order. Every candidate edge is checked by signature before going further;
 * each complete path is then checked for validity periods, basicConstraints,
 * pathLen, keyUsage, extendedKeyUsage, nameConstraints (critical or not),
 * unknown critical extensions and the server name. The search is depth-first and bounded by MAX_PATH_CERTIFICATES
 * and MAX_PATH_SIGNATURE_CHECKS. When no path passes, the most specific
 * failure is thrown (any other code before "unknown-ca").
 *
 * Work kept across calls, all keyed by SHA-256 of exact DER bytes and all
 * bounded: parsed certificates (configured ones, and the most recent peer
 * ones), imported public keys, and the certificate signatures that verified
 * (MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES, an LRU). A verified signature is a
 * fact about two certificates' bytes (this issuer's key verifies this
 * certificate), so a remembered one is exactly as good as a fresh check; a
 * failed check is never remembered. The policy's acceptSignature runs per
 * edge before the cache is consulted, and checkPath (validity at the time of
 * this request, usages, name constraints, host name) runs on every call. A
 * TrustStore's anchors never change: another trust configuration is another
 * TrustStore, with caches of its own.
 */
import { id_kp_clientAuth, id_kp_serverAuth } from "@peculiar/asn1-x509";
import { bytesEqual, toHex } from "../bytes/bytes.ts";
import { defaultCrypto } from "../crypto/select.ts";
import type { Crypto, VerifyingKey } from "../crypto/types.ts";
import {
  certificatePublicKey,
  type ParsedCertificate,
  parseCertificate,
  verifyCertificateSignature,
} from "./certificate.ts";
import { matchesServerName } from "./host-name.ts";
import {
  MAX_PARSED_CERTIFICATE_CACHE_ENTRIES,
  MAX_PATH_CERTIFICATES,
  MAX_PATH_SIGNATURE_CHECKS,
  MAX_PRESENTED_CERTIFICATES,
  MAX_TRUST_CERTIFICATES,
  MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES,
} from "./limits.ts";
import { checkNameConstraints } from "./name-constraints.ts";
import { decodePem } from "./pem.ts";
import { type PeerVerificationRequest, type PeerVerifier, PkiError, type VerifiedPeer } from "./types.ts";

/** Certificates as DER bytes or PEM text (a PEM text may hold several). */
export type CertificateSource = Uint8Array | string | readonly (Uint8Array | string)[];

export interface TrustStoreOptions {
  /** Trust anchors. */
  readonly roots: CertificateSource;
  /** Extra CA certificates the verifier may use to build paths (never trusted on their own). */
  readonly intermediates?: CertificateSource;
  /** The validation time when a request has none; default: the clock at each call. */
  readonly now?: Date | (() => Date);
  readonly crypto?: Crypto;
}

/** Parses every certificate of a source (DER or PEM), bounded by MAX_TRUST_CERTIFICATES. */
export function parseCertificates(source: CertificateSource): ParsedCertificate[] {
  const items: readonly (Uint8Array | string)[] =
    typeof source === "string" || source instanceof Uint8Array ? [source] : source;
  const ders: Uint8Array[] = [];
  for (const item of items) {
    if (typeof item === "string") ders.push(...decodePem(item, "CERTIFICATE"));
    else ders.push(item);
    if (ders.length > MAX_TRUST_CERTIFICATES) {
      throw new PkiError("bad-encoding", `more than ${MAX_TRUST_CERTIFICATES} trusted certificates`);
    }
  }
  return ders.map(parseCertificate);
}

/** What a TrustStore's caches did so far (for tests and diagnostics). */
export interface TrustStoreCacheStats {
  /** Certificate signatures actually verified (cache misses). */
  readonly signatureVerifications: number;
  /** Certificate signatures taken from the verified-signature cache. */
  readonly signatureCacheHits: number;
  /** Entries in the verified-signature cache now (at most MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES). */
  readonly cachedSignatures: number;
}

interface SearchState {
  readonly request: PeerVerificationRequest;
  readonly now: Date;
  readonly pool: readonly ParsedCertificate[];
  signatureChecks: number;
  failure: PkiError | undefined;
}

export class TrustStore implements PeerVerifier {
  readonly anchors: readonly ParsedCertificate[];
  readonly intermediates: readonly ParsedCertificate[];
  private readonly anchorsBySubject = new Map<string, ParsedCertificate[]>();
  private readonly crypto: Crypto;
  private readonly clock: () => Date;
  /** SHA-256(DER) hex -> the configured anchors and intermediates, parsed once. */
  private readonly configured = new Map<string, ParsedCertificate>();
  /** SHA-256(DER) hex -> peer certificates seen recently; insertion order is the eviction order. */
  private readonly recent = new Map<string, ParsedCertificate>();
  /** Public keys already imported (issuers and leaves), so a key is imported once, not once per handshake. */
  private readonly publicKeys = new WeakMap<ParsedCertificate, VerifyingKey>();
  /** The SHA-256(DER) hex of each parsed certificate the caches above hold. */
  private readonly derHashes = new WeakMap<ParsedCertificate, string>();
  /**
   * "child hash:issuer hash" of certificate signatures that verified; Map order is the LRU order
   * (a hit moves its entry to the end, the first entry is evicted).
   */
  private readonly verifiedSignatures = new Map<string, true>();
  private signatureVerifications = 0;
  private signatureCacheHits = 0;

  constructor(options: TrustStoreOptions) {
    this.anchors = parseCertificates(options.roots);
    this.intermediates = options.intermediates ? parseCertificates(options.intermediates) : [];
    if (this.anchors.length + this.intermediates.length > MAX_TRUST_CERTIFICATES) {
      throw new PkiError("bad-encoding", `more than ${MAX_TRUST_CERTIFICATES} trusted certificates`);
    }
    for (const a of this.anchors) {
      const key = toHex(a.subjectDer);
      this.anchorsBySubject.set(key, [...(this.anchorsBySubject.get(key) ?? []), a]);
    }
    this.crypto = options.crypto ?? defaultCrypto();
    for (const c of [...this.anchors, ...this.intermediates]) {
      const key = this.cacheKey(c.der);
      this.configured.set(key, c);
      this.derHashes.set(c, key);
    }
    const now = options.now;
    this.clock = now === undefined ? () => new Date() : typeof now === "function" ? now : () => now;
  }

  verify(request: PeerVerificationRequest): VerifiedPeer {
    if (request.chain.length === 0) throw new PkiError("bad-encoding", "the peer sent no certificate");
    if (request.chain.length > MAX_PRESENTED_CERTIFICATES) {
      throw new PkiError(
        "path-too-long",
        `${request.chain.length} certificates exceeds ${MAX_PRESENTED_CERTIFICATES}`,
      );
    }
    const [leaf, ...extra] = request.chain.map((der) => this.parse(der));
    // The leaf's key signs the handshake: a policy that refuses its algorithm refuses the peer,
    // whatever its path (checked first, so that is the reason given).
    if (request.acceptSignature !== undefined && !request.acceptSignature(leaf!.keyAlgorithm)) {
      throw new PkiError(
        "disallowed-key",
        `the key of "${leaf!.subject}" is ${leaf!.keyAlgorithm}, which the policy refuses`,
      );
    }
    const state: SearchState = {
      request,
      now: request.now ?? this.clock(),
      pool: [...extra, ...this.intermediates],
      signatureChecks: 0,
      failure: undefined,
    };
    const path = this.search([leaf!], state);
    if (path) {
      return {
        // The leaf's imported key is kept with its parsed certificate (both keyed by the exact DER).
        key: this.publicKeyOf(leaf!),
        algorithm: leaf!.keyAlgorithm,
        path: path.map((c) => c.der),
        pathSignatures: path.slice(0, -1).map((c) => c.signatureAlgorithm),
      };
    }
    throw state.failure ?? new PkiError("unknown-ca", `no path from "${leaf!.subject}" to a trust anchor`);
  }

  /** Counters of the verified-signature cache. */
  get cacheStats(): TrustStoreCacheStats {
    return {
      signatureVerifications: this.signatureVerifications,
      signatureCacheHits: this.signatureCacheHits,
      cachedSignatures: this.verifiedSignatures.size,
    };
  }

  private cacheKey(der: Uint8Array): string {
    return toHex(this.crypto.hash("sha256").digest(der));
  }

  /** parseCertificate, reusing configured certificates and a bounded set of recent peer certificates. */
  private parse(der: Uint8Array): ParsedCertificate {
    const key = this.cacheKey(der);
    const configured = this.configured.get(key);
    if (configured) return configured;
    const recent = this.recent.get(key);
    if (recent) {
      // Least recently used first: a peer seen again goes to the end.
      this.recent.delete(key);
      this.recent.set(key, recent);
      return recent;
    }
    const parsed = parseCertificate(der);
    if (this.recent.size >= MAX_PARSED_CERTIFICATE_CACHE_ENTRIES) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    this.recent.set(key, parsed);
    this.derHashes.set(parsed, key);
    return parsed;
  }

  /**
   * verifyCertificateSignature(cert, key of issuer), remembering successes. The entry's key is the
   * exact DER of both certificates (cert's TBS, signature and algorithm; issuer's key), so a hit
   * answers the same question with the same bytes. Failures and throws are not remembered.
   */
  private signatureVerifies(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
    const certHash = this.derHashes.get(cert);
    const issuerHash = this.derHashes.get(issuer);
    const edge = certHash !== undefined && issuerHash !== undefined ? `${certHash}:${issuerHash}` : undefined;
    if (edge !== undefined && this.verifiedSignatures.has(edge)) {
      this.verifiedSignatures.delete(edge);
      this.verifiedSignatures.set(edge, true);
      this.signatureCacheHits++;
      return true;
    }
    this.signatureVerifications++;
    if (!verifyCertificateSignature(cert, this.publicKeyOf(issuer))) return false;
    if (edge !== undefined) {
      if (this.verifiedSignatures.size >= MAX_VERIFIED_SIGNATURE_CACHE_ENTRIES) {
        const oldest = this.verifiedSignatures.keys().next().value;
        if (oldest !== undefined) this.verifiedSignatures.delete(oldest);
      }
      this.verifiedSignatures.set(edge, true);
    }
    return true;
  }

  private publicKeyOf(cert: ParsedCertificate): VerifyingKey {
    let key = this.publicKeys.get(cert);
    if (!key) {
      key = certificatePublicKey(cert, this.crypto);
      this.publicKeys.set(cert, key);
    }
    return key;
  }

  private issuerCandidates(
    cert: ParsedCertificate,
    path: readonly ParsedCertificate[],
    pool: readonly ParsedCertificate[],
  ) {
    const inPath = (c: ParsedCertificate) => path.some((p) => bytesEqual(p.der, c.der));
    const plausible = (c: ParsedCertificate) => {
      if (!bytesEqual(c.subjectDer, cert.issuerDer) || inPath(c)) return false;
      // RFC 5280 §4.2.1.1: the AKI names the issuer's SKI; when both exist they must agree.
      const aki = cert.extensions.authorityKeyIdentifier;
      const ski = c.extensions.subjectKeyIdentifier;
      return aki === undefined || ski === undefined || bytesEqual(aki, ski);
    };
    const anchors = (this.anchorsBySubject.get(toHex(cert.issuerDer)) ?? []).filter(plausible);
    const others = pool.filter((c) => plausible(c) && !anchors.some((a) => bytesEqual(a.der, c.der)));
    return { anchors, others };
  }

  private search(path: ParsedCertificate[], state: SearchState): ParsedCertificate[] | undefined {
    const current = path[path.length - 1]!;
    const { anchors, others } = this.issuerCandidates(current, path, state.pool);
    if (anchors.length === 0 && others.length === 0) {
      record(
        state,
        new PkiError(
          "unknown-ca",
          unknownIssuerMessage(current, this.anchorsBySubject.get(toHex(current.issuerDer))),
        ),
      );
      return undefined;
    }
    for (const [candidate, isAnchor] of [
      ...anchors.map((a) => [a, true] as const),
      ...others.map((c) => [c, false] as const),
    ]) {
      if (path.length + 1 > MAX_PATH_CERTIFICATES) {
        record(
          state,
          new PkiError("path-too-long", `path longer than ${MAX_PATH_CERTIFICATES} certificates`),
        );
        return undefined;
      }
      if (state.signatureChecks >= MAX_PATH_SIGNATURE_CHECKS) {
        record(
          state,
          new PkiError("path-too-long", `gave up after ${MAX_PATH_SIGNATURE_CHECKS} signature checks`),
        );
        return undefined;
      }
      const accept = state.request.acceptSignature;
      if (accept !== undefined && !accept(current.signatureAlgorithm)) {
        // Checked before the (costly) verification, per edge: another issuer may sign acceptably (cross-signing).
        record(
          state,
          new PkiError(
            "disallowed-signature",
            `"${current.subject}" is signed with ${current.signatureAlgorithm} by "${candidate.subject}", which the policy refuses`,
          ),
        );
        continue;
      }
      state.signatureChecks++;
      try {
        if (!this.signatureVerifies(current, candidate)) {
          throw new PkiError(
            "bad-signature",
            `signature of "${current.subject}" does not verify with the key of "${candidate.subject}"`,
          );
        }
        const extended = [...path, candidate];
        if (isAnchor) {
          checkPath(extended, state.now, state.request);
          return extended;
        }
        const found = this.search(extended, state);
        if (found) return found;
      } catch (e) {
        if (!(e instanceof PkiError)) throw e;
        record(state, e);
      }
    }
    return undefined;
  }
}

/** Keeps the first failure, but lets any specific failure replace "unknown-ca". */
function record(state: SearchState, error: PkiError): void {
  if (state.failure === undefined || (state.failure.code === "unknown-ca" && error.code !== "unknown-ca")) {
    state.failure = error;
  }
}

const EKU_BY_USAGE = { server: id_kp_serverAuth, client: id_kp_clientAuth } as const;

/** RFC 5280 §6.1.3-§6.1.4 checks on a signature-verified path (leaf first, anchor last). */
function checkPath(path: readonly ParsedCertificate[], now: Date, request: PeerVerificationRequest): void {
  path.forEach((cert, i) => {
    if (cert.extensions.unhandledCritical.length > 0) {
      throw new PkiError(
        "bad-encoding",
        `"${cert.subject}" has unsupported critical extension ${cert.extensions.unhandledCritical.join(", ")}`,
      );
    }
    if (now < cert.notBefore) {
      throw new PkiError("expired", `"${cert.subject}" is not valid before ${cert.notBefore.toISOString()}`);
    }
    if (now > cert.notAfter) {
      throw new PkiError("expired", `"${cert.subject}" expired at ${cert.notAfter.toISOString()}`);
    }
    if (i === 0) checkLeaf(cert, request);
    else checkIssuer(cert, path, i);
  });
  // RFC 5280 §6.1.4 (g), §6.1.3 (b)-(c): a CA's nameConstraints bind every certificate below it
  // (self-issued intermediates excepted), critical or not. An anchor's constraints apply too (RFC 5937).
  path.forEach((ca, i) => {
    const constraints = ca.extensions.nameConstraints;
    if (i === 0 || constraints === undefined) return;
    for (const below of path.slice(0, i)) {
      // §6.1.3 (b): a self-issued certificate that is not the leaf is not checked.
      if (below !== path[0] && below.selfIssued) continue;
      const san = below.extensions.subjectAltName;
      checkNameConstraints(constraints, ca.subject, below.subject, {
        dnsNames: san?.dnsNames ?? [],
        ipAddresses: san?.ipAddresses ?? [],
        subjectDer: below.subjectDer,
      });
    }
  });
  if (
    request.serverName !== undefined &&
    !matchesServerName(path[0]!.extensions.subjectAltName, request.serverName)
  ) {
    throw new PkiError(
      "name-mismatch",
      `certificate "${path[0]!.subject}" is not valid for "${request.serverName}"`,
    );
  }
}

function checkLeaf(leaf: ParsedCertificate, request: PeerVerificationRequest): void {
  const ext = leaf.extensions;
  if (ext.basicConstraints?.ca)
    throw new PkiError("bad-usage", `CA certificate "${leaf.subject}" used as an end entity`);
  if (ext.keyUsage && !ext.keyUsage.has("digitalSignature")) {
    throw new PkiError("bad-usage", `"${leaf.subject}" keyUsage lacks digitalSignature`);
  }
  const wanted = EKU_BY_USAGE[request.usage];
  if (ext.extendedKeyUsage && !ext.extendedKeyUsage.includes(wanted)) {
    throw new PkiError("bad-usage", `"${leaf.subject}" extendedKeyUsage lacks ${request.usage}Auth`);
  }
}

function checkIssuer(cert: ParsedCertificate, path: readonly ParsedCertificate[], index: number): void {
  const ext = cert.extensions;
  const isAnchor = index === path.length - 1;
  // RFC 5280 §6.1.4 (k): intermediates must assert cA. An anchor is trusted by configuration, but one that
  // says it is not a CA (or has a pathLen / keyUsage forbidding this path) is refused too (RFC 5937).
  if (!ext.basicConstraints?.ca && !(isAnchor && ext.basicConstraints === undefined && cert.version < 3)) {
    throw new PkiError("bad-usage", `"${cert.subject}" is not a CA (basicConstraints cA is not set)`);
  }
  if (ext.keyUsage && !ext.keyUsage.has("keyCertSign")) {
    throw new PkiError("bad-usage", `CA "${cert.subject}" keyUsage lacks keyCertSign`);
  }
  const pathLen = ext.basicConstraints?.pathLen;
  if (pathLen !== undefined) {
    // §6.1.4 (l)-(m): count the non-self-issued intermediates between this CA and the leaf.
    const below = path.slice(1, index).filter((c) => !c.selfIssued).length;
    if (below > pathLen) {
      throw new PkiError(
        "bad-usage",
        `CA "${cert.subject}" allows ${pathLen} intermediate(s) below it, found ${below}`,
      );
    }
  }
}

/** The PeerVerifier for `options` (DESIGN.md §7 `trust`). */
export function createVerifier(options: TrustStoreOptions): TrustStore {
  return new TrustStore(options);
}

/** Key identifiers as people compare them: colon-separated hex, shortened past 8 bytes. */
function keyIdText(id: Uint8Array): string {
  const hex = [...id.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0"));
  return `${hex.join(":")}${id.length > 8 ? ":..." : ""}`;
}

/**
 * Why no path was found at `cert`. When a trusted CA has the issuer's name but
 * another key (two development CAs made by separate `pqrpc certs init` runs
 * share a name), the names alone would read as a contradiction: the key
 * identifiers say which CA signed and which one is trusted.
 */
function unknownIssuerMessage(
  cert: ParsedCertificate,
  sameName: readonly ParsedCertificate[] | undefined,
): string {
  const base = `no trusted issuer "${cert.issuer}" for "${cert.subject}"`;
  if (sameName === undefined || sameName.length === 0) return base;
  const aki = cert.extensions.authorityKeyIdentifier;
  const signedBy = aki === undefined ? "a CA key without a key identifier" : `the CA key ${keyIdText(aki)}`;
  const trusted = sameName
    .map((a) => a.extensions.subjectKeyIdentifier)
    .map((ski) => (ski === undefined ? "(no key identifier)" : keyIdText(ski)));
  return `${base}: it was signed by ${signedBy}, but the trusted CA of that name has key ${trusted.join(", ")} (a different CA with the same name)`;
}
