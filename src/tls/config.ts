/**
 * Connection configuration (the API in notes/tls-api.md) and its resolution
 * against a policy and the available crypto. Resolution happens once, when a
 * connection is created; a configuration that contradicts its policy is a
 * TlsConfigError thrown to the caller, never a handshake on weaker terms.
 */

import { utf8Length } from "../bytes/bytes.ts";
import { generation as providerGeneration } from "../crypto/provider-registry.ts";
import {
  CIPHER_SUITES,
  type CipherSuiteInfo,
  type CipherSuiteName,
  cipherSuiteByName,
  type GroupInfo,
  type GroupName,
  groupByName,
  type SignatureSchemeInfo,
  signatureByName,
} from "../crypto/registry.ts";
import { defaultCrypto } from "../crypto/select.ts";
import type { Crypto, HashName, SignatureName } from "../crypto/types.ts";
import { CodedError } from "../errors/coded-error.ts";
import type { CertifiedKey, PeerVerifier } from "../pki/types.ts";
import { MAX_ALPN_PROTOCOLS } from "./codec/limits.ts";
import type { KeySharePool } from "./key-share-pool.ts";
import {
  DEFAULT_POLICY,
  defaultGroups,
  defaultSignatureSchemes,
  groupAllowed,
  POLICIES,
  type Policy,
  type PolicyName,
  signatureAllowed,
} from "./policy.ts";
import { MAX_RECORD_SIZE_LIMIT_BYTES, MIN_RECORD_SIZE_LIMIT_BYTES } from "./record-layer.ts";
import type { TicketSealer } from "./ticket-sealer.ts";

export interface TlsCommonConfig {
  /** Default: defaultCrypto() from src/crypto/select.ts. */
  crypto?: Crypto;
  /** Default "hybrid". */
  policy?: PolicyName;
  /** Preference order; default from the policy. */
  groups?: GroupName[];
  cipherSuites?: CipherSuiteName[];
  signatureSchemes?: SignatureName[];
  alpnProtocols?: string[];
  /** RFC 8449: the largest record plaintext (content type included) we accept, advertised to the peer. */
  recordSizeLimit?: number;
  /** Pad every protected record to a multiple of this many bytes (0 = none). */
  padding?: number;
  /** Millisecond clock for tickets and certificate validity (sans-IO: injected). */
  now?: () => number;
  /**
   * Debugging only: receives one NSS key log line (no newline) per traffic
   * secret (src/tls/key-log.ts). Whoever holds the lines can decrypt the session.
   */
  keyLog?: (line: string) => void;
  /**
   * Precomputed key shares (./key-share-pool.ts): the client's key share, the
   * server's Diffie-Hellman ephemeral. Absent: made inline (the engine starts
   * no background work). The Node adapter (transport/tls-connect.ts) uses a
   * pool per Crypto unless this is `false`.
   */
  keySharePool?: KeySharePool | false;
}

/** A pre-shared key agreed out of band (DESIGN.md §4 embedded profile). */
export interface ExternalPsk {
  identity: Uint8Array;
  key: Uint8Array;
  /** Hash the PSK is bound to; default sha256 (§4.2.11). */
  hash?: HashName;
  /** Use the RFC 9258 importer: the wire identity is the ImportedIdentity and the key the derived ipsk. */
  importer?: { context?: Uint8Array };
}

/** What a client keeps from a NewSessionTicket to resume later (§4.6.1). */
export interface ResumptionSession {
  readonly cipherSuite: CipherSuiteName;
  readonly ticket: Uint8Array;
  /** The resumption PSK derived from the ticket nonce. */
  readonly psk: Uint8Array;
  readonly ageAdd: number;
  readonly lifetimeSeconds: number;
  readonly receivedAtMs: number;
  readonly serverName?: string;
  readonly alpn?: string;
}

export interface TlsClientConfig extends TlsCommonConfig {
  /**
   * SNI and the name (DNS name or IP literal) the server certificate must
   * match. Required: a client without it refuses to start (TlsConfigError),
   * since the certificate would then prove nothing about whom we reached.
   * `false` opts out explicitly: no SNI, and any name the trust accepts
   * (for peers identified otherwise, e.g. by a pinned private CA per device).
   */
  serverName?: string | false;
  verifier: PeerVerifier;
  /**
   * Groups to send key shares for (default: the first of `groups`; none when a PSK is
   * offered with pskModes ["psk_ke"] only, since an accepted PSK then needs no share).
   */
  keyShareGroups?: GroupName[];
  /** Sent if the server asks (CertificateRequest). */
  certificate?: CertifiedKey;
  session?: ResumptionSession;
  onSessionTicket?: (s: ResumptionSession) => void;
  externalPsk?: ExternalPsk;
  pskModes?: ("psk_ke" | "psk_dhe_ke")[];
  /** RFC 8446 §D.4; default true. */
  middleboxCompat?: boolean;
}

export interface TlsServerConfig extends TlsCommonConfig {
  /** Chosen by the client's signature_algorithms. */
  certificate?: CertifiedKey | CertifiedKey[];
  clientAuth?: "none" | "request" | "require";
  clientVerifier?: PeerVerifier;
  /**
   * Tickets issued after each handshake. `allowPskKe` lets a ticket resume
   * with psk_ke (no key exchange: no forward secrecy, no PQ part); off by
   * default, so a psk_ke-only offer gets a full handshake instead.
   */
  sessionTickets?: { sealer: TicketSealer; count?: number; allowPskKe?: boolean } | false;
  externalPsks?: (identity: Uint8Array) => ExternalPsk | undefined;
}

export class TlsConfigError extends CodedError<"bad-config"> {
  override readonly name = "TlsConfigError";
  constructor(message: string) {
    super("bad-config", message);
  }
}

/** Largest padding multiple: a record plaintext is at most 2^14 bytes (§5.4). */
export const MAX_PADDING_MULTIPLE_BYTES = 16384;

export interface ResolvedConfig {
  readonly crypto: Crypto;
  readonly policy: Policy;
  readonly groups: readonly GroupInfo[];
  readonly suites: readonly CipherSuiteInfo[];
  readonly signatureSchemes: readonly SignatureSchemeInfo[];
  readonly alpn: readonly string[];
  readonly recordSizeLimit: number | undefined;
  readonly padding: number;
  readonly now: () => number;
}

/** The algorithm lists of a configuration, resolved against the policy and the runtime. */
interface ResolvedLists {
  readonly groups: readonly GroupInfo[];
  readonly suites: readonly CipherSuiteInfo[];
  readonly signatureSchemes: readonly SignatureSchemeInfo[];
}

interface ListsCacheEntry {
  readonly generation: number;
  /** Copies of the names asked for (undefined: the defaults), compared element by element. */
  readonly groups: readonly string[] | undefined;
  readonly suites: readonly string[] | undefined;
  readonly schemes: readonly string[] | undefined;
  readonly lists: ResolvedLists;
}

/**
 * Resolution of the algorithm lists, once per (Crypto, policy) and list
 * contents: every connection resolves its configuration, and asking the
 * providers about each group and scheme showed in handshake profiles. One
 * entry per policy per Crypto (so the cache is bounded), redone when a
 * provider registers (the answers of hasKem/hasSignature may change).
 */
const listsCache = new WeakMap<Crypto, Map<string, ListsCacheEntry>>();

function sameNames(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function resolveLists(c: TlsCommonConfig, crypto: Crypto, policy: Policy): ResolvedLists {
  const current = providerGeneration();
  let perPolicy = listsCache.get(crypto);
  if (perPolicy === undefined) {
    perPolicy = new Map();
    listsCache.set(crypto, perPolicy);
  }
  const hit = perPolicy.get(policy.name);
  if (
    hit !== undefined &&
    hit.generation === current &&
    sameNames(hit.groups, c.groups) &&
    sameNames(hit.suites, c.cipherSuites) &&
    sameNames(hit.schemes, c.signatureSchemes)
  ) {
    return hit.lists;
  }
  const lists = computeLists(c, crypto, policy);
  perPolicy.set(policy.name, {
    generation: current,
    groups: c.groups?.slice(),
    suites: c.cipherSuites?.slice(),
    schemes: c.signatureSchemes?.slice(),
    lists,
  });
  return lists;
}

function computeLists(c: TlsCommonConfig, crypto: Crypto, policy: Policy): ResolvedLists {
  const groups = (c.groups ?? defaultGroups(policy, crypto)).map((n) => {
    const g = groupByName(n);
    if (!g) throw new TlsConfigError(`unknown group ${n}`);
    if (!groupAllowed(policy, g)) throw new TlsConfigError(`group ${n} is refused by policy ${policy.name}`);
    if (!g.components.every((k) => crypto.hasKem(k)))
      throw new TlsConfigError(`group ${n} is not available in this runtime`);
    return g;
  });
  if (groups.length === 0) throw new TlsConfigError("no key exchange group available");
  const suites = (c.cipherSuites ?? CIPHER_SUITES.map((s) => s.name)).map((n) => {
    const s = cipherSuiteByName(n);
    if (!s) throw new TlsConfigError(`unknown cipher suite ${n}`);
    return s;
  });
  if (suites.length === 0) throw new TlsConfigError("no cipher suite configured");
  const signatureSchemes = (c.signatureSchemes ?? defaultSignatureSchemes(policy, crypto)).map((n) => {
    const s = signatureByName(n);
    if (!s) throw new TlsConfigError(`unknown signature scheme ${n}`);
    if (!signatureAllowed(policy, s))
      throw new TlsConfigError(`signature ${n} is refused by policy ${policy.name}`);
    return s;
  });
  // Shared by every connection of this configuration: frozen so none can alter another's.
  return {
    groups: Object.freeze(groups),
    suites: Object.freeze(suites),
    signatureSchemes: Object.freeze(signatureSchemes),
  };
}

export function resolveCommon(c: TlsCommonConfig): ResolvedConfig {
  const crypto = c.crypto ?? defaultCrypto();
  const policy = POLICIES[c.policy ?? DEFAULT_POLICY];
  if (!policy) throw new TlsConfigError(`unknown policy ${c.policy}`);
  const { groups, suites, signatureSchemes } = resolveLists(c, crypto, policy);
  const alpn = c.alpnProtocols ?? [];
  if (alpn.length > MAX_ALPN_PROTOCOLS)
    throw new TlsConfigError(`more than ${MAX_ALPN_PROTOCOLS} ALPN protocols`);
  for (const p of alpn) {
    const n = utf8Length(p);
    if (n < 1 || n > 255) throw new TlsConfigError(`ALPN protocol "${p}" must be 1..255 bytes`);
  }
  const limit = c.recordSizeLimit;
  if (
    limit !== undefined &&
    (!Number.isInteger(limit) || limit < MIN_RECORD_SIZE_LIMIT_BYTES || limit > MAX_RECORD_SIZE_LIMIT_BYTES)
  ) {
    throw new TlsConfigError(
      `recordSizeLimit must be ${MIN_RECORD_SIZE_LIMIT_BYTES}..${MAX_RECORD_SIZE_LIMIT_BYTES}`,
    );
  }
  const padding = c.padding ?? 0;
  if (!Number.isInteger(padding) || padding < 0 || padding > MAX_PADDING_MULTIPLE_BYTES) {
    throw new TlsConfigError(`padding must be 0..${MAX_PADDING_MULTIPLE_BYTES}`);
  }
  return {
    crypto,
    policy,
    groups,
    suites,
    signatureSchemes,
    alpn,
    recordSizeLimit: limit,
    padding,
    now: c.now ?? Date.now,
  };
}
