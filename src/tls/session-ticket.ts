/**
 * Session tickets (RFC 8446 §4.6.1) and resumption PSKs: the server's sealed
 * ticket state, the client's view of a ticket, and the ticket-age rules
 * (§4.2.11.1).
 */

import { ByteWriter } from "../bytes/byte-writer.ts";
import { copyBytes, utf8Decode, utf8Encode } from "../bytes/bytes.ts";
import {
  type CipherSuiteInfo,
  cipherSuiteByCodepoint,
  type GroupInfo,
  groupByCodepoint,
  type SignatureSchemeInfo,
  signatureByCodepoint,
} from "../crypto/registry.ts";
import { tlsReader } from "./codec/cursor.ts";

export { MAX_TICKET_LIFETIME_SECONDS } from "./ticket-sealer.ts";
/** Tickets issued after a handshake, unless configured. */
export const DEFAULT_TICKET_COUNT = 1;
/** §4.2.11.1 / §8.3: how far the client's idea of the ticket age may drift from ours. */
export const TICKET_AGE_TOLERANCE_MS = 10_000;
/** Bytes of ticket_nonce (unique per ticket within a connection). */
export const TICKET_NONCE_BYTES = 8;

/**
 * Version 2 added what binds a ticket to the session it resumes (issue 9
 * items 5 and 6): the authentication lineage (groups and signature schemes)
 * that the resuming policy must accept, and the client's certificates when it
 * authenticated. A version-1 ticket decodes to undefined: a full handshake.
 */
export const TICKET_STATE_VERSION = 2;
/** Client certificates kept in a ticket (the Certificate message's own bound). */
const MAX_TICKET_CLIENT_CERTIFICATES = 10;

/** What the server seals into a ticket: enough to rebuild the PSK, check its age and bind it to its session. */
export interface TicketState {
  readonly suite: CipherSuiteInfo;
  readonly psk: Uint8Array;
  readonly createdMs: number;
  readonly ageAdd: number;
  readonly lifetimeSeconds: number;
  readonly alpn?: string;
  readonly serverName?: string;
  /**
   * Every key exchange group the resumption secret descends from (the full
   * handshake's and each resumption's since): a policy that refuses any of
   * them refuses the ticket (§4.2.11: the server may decline a PSK).
   */
  readonly groups: readonly GroupInfo[];
  /** Every signature scheme that authenticated the lineage: the server's and, when present, the client's path. */
  readonly signatureSchemes: readonly SignatureSchemeInfo[];
  /** The client's Certificate entries (leaf first, DER) when it authenticated; empty otherwise. */
  readonly clientCertificates: readonly Uint8Array[];
}

export function encodeTicketState(s: TicketState): Uint8Array {
  const alpn = utf8Encode(s.alpn ?? "");
  const serverName = utf8Encode(s.serverName ?? "");
  // The exact size, so the writer is one buffer that never grows.
  const bytes =
    1 +
    2 +
    1 +
    s.psk.length +
    8 +
    4 +
    4 +
    1 +
    alpn.length +
    1 +
    serverName.length +
    1 +
    2 * s.groups.length +
    1 +
    2 * s.signatureSchemes.length +
    s.clientCertificates.reduce((n, c) => n + 3 + c.length, 3);
  const w = new ByteWriter(bytes).u8(TICKET_STATE_VERSION).u16(s.suite.codepoint).vector(1, s.psk);
  w.u64(s.createdMs).u32(s.ageAdd).u32(s.lifetimeSeconds);
  w.vector(1, alpn).vector(1, serverName);
  w.prefixed(1, (x) => {
    for (const g of s.groups) x.u16(g.codepoint);
  });
  w.prefixed(1, (x) => {
    for (const sig of s.signatureSchemes) x.u16(sig.codepoint);
  });
  w.prefixed(3, (x) => {
    for (const c of s.clientCertificates) x.vector(3, c);
  });
  return w.finish();
}

/** Undefined for anything malformed, of another version or naming an unknown algorithm: a full handshake, not an alert. */
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
    const groups = r.list(1, 0, 254, "groups", (x) => groupByCodepoint(x.u16()));
    const signatureSchemes = r.list(1, 0, 254, "signature_schemes", (x) => signatureByCodepoint(x.u16()));
    const clientCertificates = r.list(
      3,
      0,
      0xffffff,
      "client_certificates",
      (x) => copyBytes(x.vector(3, 1, 0xffffff, "certificate")),
      MAX_TICKET_CLIENT_CERTIFICATES,
    );
    r.end();
    if (!suite || groups.includes(undefined) || signatureSchemes.includes(undefined)) return undefined;
    return {
      suite,
      // A copy: the PSK outlives the decrypted state, which the caller may wipe.
      psk: copyBytes(psk),
      createdMs,
      ageAdd,
      lifetimeSeconds,
      alpn: alpn || undefined,
      serverName: serverName || undefined,
      groups: groups as GroupInfo[],
      signatureSchemes: signatureSchemes as SignatureSchemeInfo[],
      clientCertificates,
    };
  } catch {
    return undefined;
  }
}

/** Adds `item` to `list` unless an entry with its codepoint is there (lineages stay small: one entry per algorithm). */
export function withLineage<T extends { codepoint: number }>(
  list: readonly T[],
  ...items: (T | undefined)[]
): T[] {
  const out = [...list];
  for (const item of items) if (item && !out.some((x) => x.codepoint === item.codepoint)) out.push(item);
  return out;
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
