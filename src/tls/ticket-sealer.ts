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
 */
import { ByteWriter } from "../bytes/byte-writer.ts";
import { bytesEqual, concatBytes, copyBytes, wipe } from "../bytes/bytes.ts";
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

interface TicketKey {
  id: Uint8Array;
  key: AeadKey;
  createdMs: number;
  /** When it stopped sealing; undefined for the current key. */
  retiredMs: number | undefined;
}

export class TicketSealer {
  /** The lifetime written into tickets, to announce as NewSessionTicket.ticket_lifetime. */
  readonly lifetimeSeconds: number;
  private readonly rotateAfterMs: number;
  private readonly crypto: Crypto;
  private keys: TicketKey[] = [];

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
    const plaintext = new ByteWriter(EXPIRY_BYTES + state.length)
      .u64(nowMs + this.lifetimeSeconds * 1000)
      .bytes(state)
      .finish();
    const nonce = this.crypto.randomBytes(NONCE_BYTES);
    const header = new ByteWriter(HEADER_BYTES)
      .u8(TICKET_FORMAT_VERSION)
      .bytes(current.id)
      .bytes(nonce)
      .finish();
    // The header is the AAD: version, key id and nonce are bound to the sealed state.
    const sealed = current.key.seal(nonce, plaintext, header);
    wipe(plaintext);
    return concatBytes(header, sealed);
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

  /** Starts a new sealing key now (the old one keeps opening its tickets until they expire). */
  rotate(nowMs: number): void {
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
    const lifetimeMs = this.lifetimeSeconds * 1000;
    this.keys = this.keys.filter((k) => k.retiredMs === undefined || nowMs < k.retiredMs + lifetimeMs);
    while (this.keys.length > MAX_TICKET_KEYS) this.keys.shift();
  }
}
