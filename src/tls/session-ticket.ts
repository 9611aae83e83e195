/**
 * Session tickets (RFC 8446 §4.6.1) and resumption PSKs: the server's sealed
 * ticket state, the client's view of a ticket, and the ticket-age rules
 * (§4.2.11.1).
 */

import { ByteWriter } from "../bytes/byte-writer.ts";
import { copyBytes, utf8Decode, utf8Encode } from "../bytes/bytes.ts";
import { type CipherSuiteInfo, cipherSuiteByCodepoint } from "../crypto/registry.ts";
import { tlsReader } from "./codec/cursor.ts";

export { MAX_TICKET_LIFETIME_SECONDS } from "./ticket-sealer.ts";
/** Tickets issued after a handshake, unless configured. */
export const DEFAULT_TICKET_COUNT = 1;
/** §4.2.11.1 / §8.3: how far the client's idea of the ticket age may drift from ours. */
export const TICKET_AGE_TOLERANCE_MS = 10_000;
/** Bytes of ticket_nonce (unique per ticket within a connection). */
export const TICKET_NONCE_BYTES = 8;

const TICKET_STATE_VERSION = 1;

/** What the server seals into a ticket: enough to rebuild the PSK and check its age. */
export interface TicketState {
  readonly suite: CipherSuiteInfo;
  readonly psk: Uint8Array;
  readonly createdMs: number;
  readonly ageAdd: number;
  readonly lifetimeSeconds: number;
  readonly alpn?: string;
  readonly serverName?: string;
}

export function encodeTicketState(s: TicketState): Uint8Array {
  const w = new ByteWriter().u8(TICKET_STATE_VERSION).u16(s.suite.codepoint).vector(1, s.psk);
  w.u64(s.createdMs).u32(s.ageAdd).u32(s.lifetimeSeconds);
  w.vector(1, utf8Encode(s.alpn ?? "")).vector(1, utf8Encode(s.serverName ?? ""));
  return w.finish();
}

/** Undefined for anything malformed: a bad ticket means a full handshake, not an alert. */
export function decodeTicketState(data: Uint8Array): TicketState | undefined {
  try {
    const r = tlsReader(data, "ticket");
    if (r.u8() !== TICKET_STATE_VERSION) return undefined;
    const suite = cipherSuiteByCodepoint(r.u16());
    const psk = r.vector(1, 1, 255, "psk");
    const createdMs = r.u64("created");
    const ageAdd = r.u32();
    const lifetimeSeconds = r.u32();
    const alpn = utf8Decode(r.vector(1, 0, 255, "alpn"));
    const serverName = utf8Decode(r.vector(1, 0, 255, "server_name"));
    r.end();
    if (!suite) return undefined;
    return {
      suite,
      // A copy: the PSK outlives the decrypted state, which the caller may wipe.
      psk: copyBytes(psk),
      createdMs,
      ageAdd,
      lifetimeSeconds,
      alpn: alpn || undefined,
      serverName: serverName || undefined,
    };
  } catch {
    return undefined;
  }
}

/** §4.2.11.1: obfuscated_ticket_age = (age in ms + ticket_age_add) mod 2^32. */
export function obfuscateTicketAge(ageMs: number, ageAdd: number): number {
  return (Math.max(0, Math.floor(ageMs)) + ageAdd) % 2 ** 32;
}

/** Whether a ticket offered with `obfuscatedAge` is fresh and its age plausible. */
export function ticketAgeAcceptable(state: TicketState, obfuscatedAge: number, nowMs: number): boolean {
  const actualMs = nowMs - state.createdMs;
  if (actualMs < 0 || actualMs > state.lifetimeSeconds * 1000) return false;
  const claimedMs = (obfuscatedAge - state.ageAdd + 2 ** 32) % 2 ** 32;
  return Math.abs(claimedMs - actualMs) <= TICKET_AGE_TOLERANCE_MS;
}
