/**
 * Stateless session tickets for the server (RFC 8446 §4.6.1: the ticket is
 * opaque to the client). The server's resumption state is sealed with
 * AES-256-GCM under a random key that rotates; a ticket names its key by a
 * random key id, carries its expiry inside the authenticated plaintext, and
 * has a constant overhead:
 *
 *   ticket = version (1) ‖ key id (8) ‖ nonce (12) ‖ AEAD(expiry ms (8) ‖ state) incl. tag (16)
 *
 * open() answers null for anything but a genuine, unexpired ticket of a key
 * still held: tickets are attacker input and never make it throw.
 *
 * Keys are either the sealer's own (random, rotated every rotateAfterSeconds,
 * held by this process only) or shared: setKeys() hands it a set that several
 * processes load (a ticket key file, src/server/ticket-key-file.ts), so a
 * ticket one of them issued resumes on any. Shared keys do not rotate by
 * themselves; each names the time it starts sealing, so a new key can reach
 * every process before any of them seals with it.
 */
import { ByteWriter } from "../bytes/byte-writer.ts";
import { bytesEqual, copyBytes, wipe } from "../bytes/bytes.ts";
import type { AeadKey, Crypto } from "../crypto/types.ts";
import { fatal } from "./alert.ts";
import { tlsReader } from "./codec/cursor.ts";

const TICKET_FORMAT_VERSION = 1;
const KEY_ID_BYTES = 8;
const NONCE_BYTES = 12;
const EXPIRY_BYTES = 8;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES;
const TICKET_KEY_BYTES = 32; // AES-256

/** Bytes a ticket adds to the sealed state. */
export const TICKET_OVERHEAD_BYTES = HEADER_BYTES + EXPIRY_BYTES + TAG_BYTES;
/** Largest state seal() accepts: room for a resumption secret, ALPN, SNI and a client certificate chain. */
export const MAX_TICKET_STATE_BYTES = 16 * 1024;
/** Largest ticket open() looks at; anything longer is refused unread. */
export const MAX_SEALED_TICKET_BYTES = MAX_TICKET_STATE_BYTES + TICKET_OVERHEAD_BYTES;
/** RFC 8446 §4.6.1: "Servers MUST NOT use any value greater than 604800 seconds (7 days)." */
export const MAX_TICKET_LIFETIME_SECONDS = 604800;
export const DEFAULT_TICKET_LIFETIME_SECONDS = 7200;
export const DEFAULT_TICKET_ROTATE_AFTER_SECONDS = 3600;
/** Keys held at once (the current one and retired ones whose tickets may still be valid). */
export const MAX_TICKET_KEYS = 8;

/** Bytes of a ticket key's id. */
export const TICKET_KEY_ID_BYTES = KEY_ID_BYTES;
/** Bytes of a ticket key's secret (AES-256-GCM). */
export const TICKET_KEY_SECRET_BYTES = TICKET_KEY_BYTES;

/** A ticket key shared between processes. */
export interface TicketKeyMaterial {
  /** TICKET_KEY_ID_BYTES bytes, written in clear into every ticket it seals. */
  readonly id: Uint8Array;
  /** TICKET_KEY_SECRET_BYTES bytes. */
  readonly secret: Uint8Array;
  /** From this time (ms since the epoch) it seals; the newest key past its time seals, every key opens. */
  readonly activatesMs: number;
}

interface TicketKey {
  id: Uint8Array;
  key: AeadKey;
  createdMs: number;
  /** When it stopped sealing; undefined for the current key. */
  retiredMs: number | undefined;
  /** Shared keys: when it starts sealing. */
  activatesMs?: number;
}

/** The key id of a ticket of this format, or undefined for anything else (for tests and diagnostics). */
export function ticketKeyId(ticket: Uint8Array): Uint8Array | undefined {
  if (ticket.length < TICKET_OVERHEAD_BYTES || ticket[0] !== TICKET_FORMAT_VERSION) return undefined;
  return ticket.slice(1, 1 + KEY_ID_BYTES);
}

export class TicketSealer {
  /** The lifetime written into tickets, to announce as NewSessionTicket.ticket_lifetime. */
  readonly lifetimeSeconds: number;
  private readonly rotateAfterMs: number;
  private readonly crypto: Crypto;
  private keys: TicketKey[] = [];
  /** True once setKeys() gave it shared keys: it no longer makes or drops keys itself. */
  private shared = false;

  constructor(crypto: Crypto, opts?: { lifetimeSeconds?: number; rotateAfterSeconds?: number }) {
    const lifetime = opts?.lifetimeSeconds ?? DEFAULT_TICKET_LIFETIME_SECONDS;
    const rotateAfter = opts?.rotateAfterSeconds ?? DEFAULT_TICKET_ROTATE_AFTER_SECONDS;
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_TICKET_LIFETIME_SECONDS) {
      throw fatal(
        "internal_error",
        `ticket lifetime ${lifetime} s outside 1..${MAX_TICKET_LIFETIME_SECONDS}`,
      );
    }
    if (!Number.isInteger(rotateAfter) || rotateAfter < 1) {
      throw fatal("internal_error", `ticket key rotation period ${rotateAfter} s is not a positive integer`);
    }
    this.crypto = crypto;
    this.lifetimeSeconds = lifetime;
    this.rotateAfterMs = rotateAfter * 1000;
  }

  /** Seals the server's resumption state into a ticket valid for lifetimeSeconds from nowMs. */
  seal(state: Uint8Array, nowMs: number): Uint8Array {
    if (!Number.isSafeInteger(nowMs) || nowMs < 0)
      throw fatal("internal_error", `ticket clock ${nowMs} is not a time in ms`);
    if (state.length > MAX_TICKET_STATE_BYTES) {
      throw fatal(
        "internal_error",
        `ticket state of ${state.length} bytes exceeds ${MAX_TICKET_STATE_BYTES}`,
      );
    }
    const current = this.currentKey(nowMs);
    const nonce = this.crypto.randomBytes(NONCE_BYTES);
    // One buffer, header ‖ expiry ‖ state ‖ room for the tag, sealed in place:
    // no separate plaintext, ciphertext and joined ticket, and no plaintext
    // copy left to wipe once sealing has overwritten it.
    const plaintextBytes = EXPIRY_BYTES + state.length;
    const ticketBytes = HEADER_BYTES + plaintextBytes + TAG_BYTES;
    const written = new ByteWriter(ticketBytes)
      .u8(TICKET_FORMAT_VERSION)
      .bytes(current.id)
      .bytes(nonce)
      .u64(nowMs + this.lifetimeSeconds * 1000)
      .bytes(state)
      .finish();
    const ticket = new Uint8Array(written.buffer, written.byteOffset, ticketBytes);
    try {
      // The header is the AAD: version, key id and nonce are bound to the sealed state.
      current.key.sealInto(
        nonce,
        ticket.subarray(HEADER_BYTES, HEADER_BYTES + plaintextBytes),
        ticket.subarray(0, HEADER_BYTES),
        ticket,
        HEADER_BYTES,
      );
    } catch (e) {
      wipe(ticket);
      throw e;
    }
    return ticket;
  }

  /** The sealed state, or null for a ticket that is malformed, forged, of an unknown key, or expired. */
  open(ticket: Uint8Array, nowMs: number): Uint8Array | null {
    try {
      if (!(ticket instanceof Uint8Array)) return null;
      if (ticket.length < TICKET_OVERHEAD_BYTES || ticket.length > MAX_SEALED_TICKET_BYTES) return null;
      const r = tlsReader(ticket, "ticket");
      if (r.u8("version") !== TICKET_FORMAT_VERSION) return null;
      this.prune(nowMs);
      const id = r.bytes(KEY_ID_BYTES, "key id");
      const entry = this.keys.find((k) => bytesEqual(k.id, id));
      if (entry === undefined) return null;
      const nonce = r.bytes(NONCE_BYTES, "nonce");
      const header = ticket.subarray(0, r.offset);
      const plaintext = entry.key.open(nonce, r.rest(), header);
      if (plaintext === null) return null;
      try {
        const p = tlsReader(plaintext, "sealed ticket");
        const expiryMs = p.u64("expiry");
        // Expired, or valid for longer than this sealer ever grants (a clock that went back).
        if (nowMs >= expiryMs || expiryMs - nowMs > this.lifetimeSeconds * 1000) return null;
        return copyBytes(p.rest());
      } finally {
        wipe(plaintext);
      }
    } catch {
      return null;
    }
  }

  /**
   * Replaces the keys with a shared set (at most MAX_TICKET_KEYS): from now on the sealer seals
   * with the newest key whose activatesMs has come (before any has, the earliest) and opens
   * tickets of any key in the set. Keys already held keep their imported state.
   */
  setKeys(keys: readonly TicketKeyMaterial[]): void {
    if (keys.length === 0 || keys.length > MAX_TICKET_KEYS) {
      throw fatal("internal_error", `a ticket key set has 1 to ${MAX_TICKET_KEYS} keys, got ${keys.length}`);
    }
    const next: TicketKey[] = [];
    for (const k of keys) {
      if (k.id.length !== KEY_ID_BYTES || k.secret.length !== TICKET_KEY_BYTES) {
        throw fatal(
          "internal_error",
          `a ticket key has a ${KEY_ID_BYTES}-byte id and a ${TICKET_KEY_BYTES}-byte secret`,
        );
      }
      if (!Number.isSafeInteger(k.activatesMs) || k.activatesMs < 0) {
        throw fatal("internal_error", `ticket key activation ${k.activatesMs} is not a time in ms`);
      }
      if (next.some((n) => bytesEqual(n.id, k.id)))
        throw fatal("internal_error", "two ticket keys share an id");
      next.push({
        id: copyBytes(k.id),
        key: this.crypto.aead("aes-256-gcm").importKey(k.secret),
        createdMs: k.activatesMs,
        retiredMs: undefined,
        activatesMs: k.activatesMs,
      });
    }
    this.keys = next;
    this.shared = true;
  }

  /** Starts a new sealing key now (the old one keeps opening its tickets until they expire). */
  rotate(nowMs: number): void {
    if (this.shared) throw fatal("internal_error", "shared ticket keys rotate through their key file");
    const current = this.keys.find((k) => k.retiredMs === undefined);
    if (current) current.retiredMs = nowMs;
    const raw = this.crypto.randomBytes(TICKET_KEY_BYTES);
    try {
      this.keys.push({
        id: this.crypto.randomBytes(KEY_ID_BYTES),
        key: this.crypto.aead("aes-256-gcm").importKey(raw),
        createdMs: nowMs,
        retiredMs: undefined,
      });
    } finally {
      wipe(raw);
    }
    this.prune(nowMs);
  }

  private currentKey(nowMs: number): TicketKey {
    if (this.shared) return sharedSealingKey(this.keys, nowMs);
    let current = this.keys.find((k) => k.retiredMs === undefined);
    if (
      current === undefined ||
      nowMs - current.createdMs >= this.rotateAfterMs ||
      nowMs < current.createdMs
    ) {
      this.rotate(nowMs);
      current = this.keys.find((k) => k.retiredMs === undefined)!;
    }
    return current;
  }

  /** Drops retired keys whose last ticket has expired, and the oldest beyond MAX_TICKET_KEYS. */
  private prune(nowMs: number): void {
    // Shared keys leave when their key file drops them (pqrpc tickets rotate), on every process at once.
    if (this.shared) return;
    const lifetimeMs = this.lifetimeSeconds * 1000;
    this.keys = this.keys.filter((k) => k.retiredMs === undefined || nowMs < k.retiredMs + lifetimeMs);
    while (this.keys.length > MAX_TICKET_KEYS) this.keys.shift();
  }
}

/** The newest shared key whose time has come; before any has, the earliest (a clock behind the file's). */
function sharedSealingKey(keys: readonly TicketKey[], nowMs: number): TicketKey {
  let best: TicketKey | undefined;
  let earliest = keys[0]!;
  for (const k of keys) {
    const at = k.activatesMs ?? k.createdMs;
    if (at < (earliest.activatesMs ?? earliest.createdMs)) earliest = k;
    // On a tie the later key in the set wins: the file lists keys oldest first.
    if (at <= nowMs && (best === undefined || at >= (best.activatesMs ?? best.createdMs))) best = k;
  }
  return best ?? earliest;
}
