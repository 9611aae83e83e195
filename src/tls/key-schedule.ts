/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) and the derivations that hang off
 * it: Finished (§4.4.4), the resumption PSK (§4.6.1), KeyUpdate (§7.2),
 * traffic keys (§7.3) and exporters (§7.5).
 *
 * Every function takes the cipher suite's Hash so the same code serves
 * SHA-256 and SHA-384 suites; HKDF itself comes from the crypto layer.
 */

import { ByteWriter } from "../bytes/byte-writer.ts";
import { constantTimeEqual, utf8Encode, wipe } from "../bytes/bytes.ts";
import type { Aead, Hash } from "../crypto/types.ts";
import { fatal } from "./alert.ts";

/** RFC 8446 §7.1: every HkdfLabel.label starts with this. */
const LABEL_PREFIX = "tls13 ";
/** RFC 8446 §7.1: opaque label<7..255>, the prefix included. */
const MAX_LABEL_BYTES = 255;
/** RFC 8446 §7.1: opaque context<0..255>. */
const MAX_CONTEXT_BYTES = 255;
/** RFC 8446 §7.1: HkdfLabel.length is a uint16. */
const MAX_EXPAND_BYTES = 0xffff;
/** RFC 5869 §2.3: the counter byte that ends T(1)'s input, info ‖ 0x01. */
const FIRST_BLOCK = 1;
/** HkdfLabel at its largest (uint16 ‖ label<7..255> ‖ context<0..255>) plus that counter byte. */
const MAX_HKDF_LABEL_BYTES = 2 + 1 + MAX_LABEL_BYTES + 1 + MAX_CONTEXT_BYTES + 1;

/**
 * One HkdfLabel buffer for every derivation: a handshake makes about 27 per
 * side, each used by exactly one HMAC before the next is written (the code is
 * synchronous), and cleared (zeroed) after that HMAC.
 */
const hkdfLabel = new ByteWriter(MAX_HKDF_LABEL_BYTES);

/**
 * HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length)
 * with HkdfLabel = uint16 length ‖ opaque label<7..255> ("tls13 " ‖ Label) ‖ opaque context<0..255>.
 */
export function hkdfExpandLabel(
  hash: Hash,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const fullLabel = encodedLabel(label);
  if (fullLabel.length > MAX_LABEL_BYTES) {
    throw fatal(
      "internal_error",
      `HKDF-Expand-Label: label of ${fullLabel.length} bytes exceeds ${MAX_LABEL_BYTES}`,
    );
  }
  if (context.length > MAX_CONTEXT_BYTES) {
    throw fatal(
      "internal_error",
      `HKDF-Expand-Label: context of ${context.length} bytes exceeds ${MAX_CONTEXT_BYTES}`,
    );
  }
  if (!Number.isInteger(length) || length < 0 || length > MAX_EXPAND_BYTES) {
    throw fatal("internal_error", `HKDF-Expand-Label: length ${length} outside 0..${MAX_EXPAND_BYTES}`);
  }
  const w = hkdfLabel.clear().u16(length).vector(1, fullLabel).vector(1, context);
  try {
    if (length > hash.outputLength) return hash.hkdfExpand(secret, w.finish(), length);
    // Every TLS 1.3 derivation is one block (RFC 5869 §2.3, N = 1): OKM = the first
    // Length bytes of T(1) = HMAC(Secret, HkdfLabel ‖ 0x01), one HMAC over this buffer.
    const t1 = hash.hmac(secret, w.u8(FIRST_BLOCK).finish());
    if (t1.length === length) return t1;
    const out = t1.slice(0, length);
    wipe(t1);
    return out;
  } finally {
    hkdfLabel.clear();
  }
}

/**
 * "tls13 " ‖ label as bytes. The protocol's own labels are a fixed handful
 * and each handshake expands about 27 of them per side, so their encodings
 * are kept; other labels (exporter labels chosen by the application) are
 * encoded per call, which keeps the table bounded.
 */
const PROTOCOL_LABELS = [
  "derived",
  "ext binder",
  "res binder",
  "imp binder",
  "c e traffic",
  "e exp master",
  "c hs traffic",
  "s hs traffic",
  "c ap traffic",
  "s ap traffic",
  "exp master",
  "res master",
  "finished",
  "resumption",
  "traffic upd",
  "key",
  "iv",
  "exporter",
] as const;
const LABEL_BYTES = new Map<string, Uint8Array>(
  PROTOCOL_LABELS.map((l) => [l, utf8Encode(LABEL_PREFIX + l)]),
);

function encodedLabel(label: string): Uint8Array {
  return LABEL_BYTES.get(label) ?? utf8Encode(LABEL_PREFIX + label);
}

/** Derive-Secret(Secret, Label, Messages) with the transcript hash already computed (RFC 8446 §7.1). */
export function deriveSecret(
  hash: Hash,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hash.outputLength);
}

/**
 * RFC 8446 §4.4.4: verify_data = HMAC(finished_key, Transcript-Hash), with
 * finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length).
 * BaseKey is a handshake traffic secret, or a binder key for PSK binders (§4.2.11.2).
 */
export function finishedMac(hash: Hash, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  const finishedKey = hkdfExpandLabel(hash, baseKey, "finished", new Uint8Array(0), hash.outputLength);
  try {
    return hash.hmac(finishedKey, transcriptHash);
  } finally {
    wipe(finishedKey);
  }
}

/**
 * Checks a received Finished verify_data (or a PSK binder) in constant time
 * (RFC 8446 §4.4.4: "MUST terminate the connection with a decrypt_error").
 */
export function verifyFinished(
  hash: Hash,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
  received: Uint8Array,
): boolean {
  const expected = finishedMac(hash, baseKey, transcriptHash);
  try {
    return constantTimeEqual(expected, received);
  } finally {
    wipe(expected);
  }
}

/** RFC 8446 §4.6.1: HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
export function resumptionPsk(
  hash: Hash,
  resumptionMasterSecret: Uint8Array,
  ticketNonce: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(hash, resumptionMasterSecret, "resumption", ticketNonce, hash.outputLength);
}

/** RFC 8446 §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length). */
export function nextTrafficSecret(hash: Hash, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, secret, "traffic upd", new Uint8Array(0), hash.outputLength);
}

/** RFC 8446 §7.3: write_key = Expand-Label(Secret, "key", "", key_length); write_iv likewise with "iv". */
export function trafficKeys(hash: Hash, aead: Aead, secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  return {
    key: hkdfExpandLabel(hash, secret, "key", new Uint8Array(0), aead.keyLength),
    iv: hkdfExpandLabel(hash, secret, "iv", new Uint8Array(0), aead.nonceLength),
  };
}

/**
 * RFC 8446 §7.5: TLS-Exporter(label, context_value, key_length) =
 * HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length),
 * where Secret is the (early_)exporter_master_secret.
 */
export function exportKeyingMaterial(
  hash: Hash,
  exporterMasterSecret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const perLabel = deriveSecret(hash, exporterMasterSecret, label, constantsOf(hash).emptyHash);
  try {
    return hkdfExpandLabel(hash, perLabel, "exporter", hash.digest(context), length);
  } finally {
    wipe(perLabel);
  }
}

/**
 * The key schedule's values that depend on the hash alone, public and
 * constant, so computed once per hash and only read (never wiped):
 * Transcript-Hash("") (for "derived" and binder keys), Hash.length zeros,
 * and for a handshake without a PSK the Early Secret = HKDF-Extract(0, 0)
 * and Derive-Secret(that Early Secret, "derived", ""), the salt of its
 * Handshake Secret (RFC 8446 §7.1).
 */
interface HashConstants {
  readonly emptyHash: Uint8Array;
  readonly zeros: Uint8Array;
  readonly pskFreeEarlySecret: Uint8Array;
  readonly pskFreeDerived: Uint8Array;
}

const HASH_CONSTANTS = new WeakMap<Hash, HashConstants>();

function constantsOf(hash: Hash): HashConstants {
  let c = HASH_CONSTANTS.get(hash);
  if (c === undefined) {
    const emptyHash = hash.digest(new Uint8Array(0));
    const zeros = new Uint8Array(hash.outputLength);
    const pskFreeEarlySecret = hash.hkdfExtract(zeros, zeros);
    const pskFreeDerived = deriveSecret(hash, pskFreeEarlySecret, "derived", emptyHash);
    c = { emptyHash, zeros, pskFreeEarlySecret, pskFreeDerived };
    HASH_CONSTANTS.set(hash, c);
  }
  return c;
}

/**
 * RFC 8446 §4.2.11.2 binder labels; "imp" is RFC 9258 §5.2's label for
 * imported external PSKs ("imp binder").
 */
export type BinderKind = "ext" | "res" | "imp";

type Stage = "initial" | "early" | "handshake" | "master" | "wiped";

/**
 * The running key schedule of one connection (RFC 8446 §7.1):
 *
 *   early(psk)        Early Secret     = HKDF-Extract(0, PSK or 0)
 *   handshake(ss)     Handshake Secret = HKDF-Extract(Derive-Secret(Early, "derived", ""), (EC)DHE/KEM or 0)
 *   master()          Master Secret    = HKDF-Extract(Derive-Secret(Handshake, "derived", ""), 0)
 *
 * Each stage wipes the secret it replaces, so that a secret outlives its use
 * only as long as the protocol needs it. The traffic secrets it returns belong
 * to the caller (wipe them once their keys are installed).
 */
export class KeySchedule {
  private readonly hash: Hash;
  private stage: Stage = "initial";
  private secret: Uint8Array = new Uint8Array(0);
  /** The Early Secret is the PSK-free constant, so the next salt is too. */
  private pskFree = false;
  private readonly constants: HashConstants;

  constructor(hash: Hash) {
    this.hash = hash;
    this.constants = constantsOf(hash);
  }

  /**
   * Early Secret from the PSK; without one, from Hash.length zero bytes (RFC 8446 §7.1).
   * May be called again before handshake() to start over with another PSK
   * (for example when the server did not select the one offered).
   */
  early(psk?: Uint8Array): void {
    if (this.stage !== "early") this.expect("initial", "early()");
    const c = this.constants;
    // A copy of the constant, so that wiping the schedule never wipes the constant.
    const next = psk !== undefined ? this.hash.hkdfExtract(c.zeros, psk) : c.pskFreeEarlySecret.slice();
    wipe(this.secret);
    this.secret = next;
    this.pskFree = psk === undefined;
    this.stage = "early";
  }

  /** binder_key = Derive-Secret(Early Secret, "ext binder" | "res binder" | "imp binder", ""). */
  binderKey(kind: BinderKind): Uint8Array {
    this.expect("early", "binderKey()");
    return deriveSecret(this.hash, this.secret, `${kind} binder`, this.constants.emptyHash);
  }

  /** client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello). */
  clientEarlyTrafficSecret(th: Uint8Array): Uint8Array {
    this.expect("early", "clientEarlyTrafficSecret()");
    return deriveSecret(this.hash, this.secret, "c e traffic", th);
  }

  /** early_exporter_master_secret = Derive-Secret(Early Secret, "e exp master", ClientHello). */
  earlyExporterMasterSecret(th: Uint8Array): Uint8Array {
    this.expect("early", "earlyExporterMasterSecret()");
    return deriveSecret(this.hash, this.secret, "e exp master", th);
  }

  /**
   * Handshake Secret from the (EC)DHE/KEM shared secret; zeros for psk_ke.
   * Without a prior early() the schedule starts without a PSK (full handshake).
   */
  handshake(sharedSecret?: Uint8Array): void {
    if (this.stage === "initial") this.early();
    this.expect("early", "handshake()");
    this.advance(sharedSecret ?? this.constants.zeros);
    this.stage = "handshake";
  }

  /** client_handshake_traffic_secret; th = Transcript-Hash(ClientHello..ServerHello). */
  clientHandshakeTrafficSecret(th: Uint8Array): Uint8Array {
    this.expect("handshake", "clientHandshakeTrafficSecret()");
    return deriveSecret(this.hash, this.secret, "c hs traffic", th);
  }

  /** server_handshake_traffic_secret; th = Transcript-Hash(ClientHello..ServerHello). */
  serverHandshakeTrafficSecret(th: Uint8Array): Uint8Array {
    this.expect("handshake", "serverHandshakeTrafficSecret()");
    return deriveSecret(this.hash, this.secret, "s hs traffic", th);
  }

  /** Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0). */
  master(): void {
    this.expect("handshake", "master()");
    this.advance(this.constants.zeros);
    this.stage = "master";
  }

  /** client_application_traffic_secret_0; th = Transcript-Hash(ClientHello..server Finished). */
  clientApplicationTrafficSecret(th: Uint8Array): Uint8Array {
    this.expect("master", "clientApplicationTrafficSecret()");
    return deriveSecret(this.hash, this.secret, "c ap traffic", th);
  }

  /** server_application_traffic_secret_0; th = Transcript-Hash(ClientHello..server Finished). */
  serverApplicationTrafficSecret(th: Uint8Array): Uint8Array {
    this.expect("master", "serverApplicationTrafficSecret()");
    return deriveSecret(this.hash, this.secret, "s ap traffic", th);
  }

  /** exporter_master_secret; th = Transcript-Hash(ClientHello..server Finished). */
  exporterMasterSecret(th: Uint8Array): Uint8Array {
    this.expect("master", "exporterMasterSecret()");
    return deriveSecret(this.hash, this.secret, "exp master", th);
  }

  /** resumption_master_secret; th = Transcript-Hash(ClientHello..client Finished). */
  resumptionMasterSecret(th: Uint8Array): Uint8Array {
    this.expect("master", "resumptionMasterSecret()");
    return deriveSecret(this.hash, this.secret, "res master", th);
  }

  /**
   * A copy of the current stage's secret (Early, Handshake or Master Secret),
   * for known-answer tests; the caller wipes it.
   */
  currentSecret(): Uint8Array {
    if (this.stage === "initial" || this.stage === "wiped") {
      throw fatal("internal_error", `key schedule: no secret at the ${this.stage} stage`);
    }
    return this.secret.slice();
  }

  /** Wipes the current secret; the schedule cannot be used afterwards. */
  wipe(): void {
    wipe(this.secret);
    this.secret = new Uint8Array(0);
    this.stage = "wiped";
  }

  /** Next stage's secret: HKDF-Extract(Derive-Secret(current, "derived", ""), ikm); the old one is wiped. */
  private advance(ikm: Uint8Array): void {
    const constantSalt = this.pskFree ? this.constants.pskFreeDerived : undefined;
    this.pskFree = false;
    const salt = constantSalt ?? deriveSecret(this.hash, this.secret, "derived", this.constants.emptyHash);
    const next = this.hash.hkdfExtract(salt, ikm);
    if (salt !== constantSalt) wipe(salt);
    wipe(this.secret);
    this.secret = next;
  }

  private expect(stage: Stage, what: string): void {
    if (this.stage !== stage) {
      throw fatal(
        "internal_error",
        `key schedule: ${what} needs the ${stage} stage, the schedule is at ${this.stage}`,
      );
    }
  }
}
