/**
 * Pre-shared keys on both sides (RFC 8446 §4.2.11, RFC 9258): what a client
 * offers (a resumption ticket, an external PSK, or an imported one) and how a
 * server turns an offered identity back into a key.
 */

import { bytesEqual } from "../bytes/bytes.ts";
import type { CipherSuiteInfo } from "../crypto/registry.ts";
import type { Crypto, HashName } from "../crypto/types.ts";
import { TLS13 } from "./codec/types.ts";
import type { ExternalPsk, ResumptionSession } from "./config.ts";
import type { BinderKind } from "./key-schedule.ts";
import { decodeImportedIdentity, importPsk, TARGET_KDFS } from "./psk-importer.ts";
import {
  decodeTicketState,
  obfuscateTicketAge,
  type TicketState,
  ticketAgeAcceptable,
} from "./session-ticket.ts";
import type { TicketSealer } from "./ticket-sealer.ts";

/** One PSK as it takes part in a handshake. */
export interface PskCandidate {
  readonly identity: Uint8Array;
  readonly key: Uint8Array;
  readonly hash: HashName;
  readonly binder: BinderKind;
  readonly obfuscatedAge: number;
  readonly resumption?: TicketState | ResumptionSession;
}

/** RFC 9258 §3 default: an EPSK without a named hash is for SHA-256. */
export const DEFAULT_EPSK_HASH: HashName = "sha256";

/** The client's offers: the resumption ticket first (it is the cheaper proof of identity), then the external PSK. */
export function clientPskOffers(
  crypto: Crypto,
  suites: readonly CipherSuiteInfo[],
  session: ResumptionSession | undefined,
  external: ExternalPsk | undefined,
  nowMs: number,
  serverName: string | undefined,
): PskCandidate[] {
  const out: PskCandidate[] = [];
  if (session) {
    const suite = suites.find((s) => s.name === session.cipherSuite);
    const ageMs = nowMs - session.receivedAtMs;
    // §4.6.1: clients MUST NOT use tickets older than their lifetime.
    // §4.6.1: a ticket is only good for the server name it was issued under.
    const sameServer = session.serverName === serverName;
    if (suite && sameServer && ageMs >= 0 && ageMs <= session.lifetimeSeconds * 1000) {
      out.push({
        identity: session.ticket,
        key: session.psk,
        hash: suite.hash,
        binder: "res",
        obfuscatedAge: obfuscateTicketAge(ageMs, session.ageAdd),
        resumption: session,
      });
    }
  }
  if (external) {
    const epskHash = external.hash ?? DEFAULT_EPSK_HASH;
    if (external.importer) {
      // Import for the hash of the first suite we would accept with it (RFC 9258 §4.1).
      const target = suites[0]?.hash ?? epskHash;
      for (const kdf of new Set([target, ...suites.map((s) => s.hash)])) {
        const imported = importPsk(
          crypto.hash(epskHash),
          external.key,
          { identity: external.identity, context: external.importer.context },
          TLS13,
          kdf,
        );
        out.push({
          identity: imported.identity,
          key: imported.ipsk,
          hash: kdf,
          binder: "imp",
          obfuscatedAge: 0,
        });
      }
    } else {
      out.push({
        identity: external.identity,
        key: external.key,
        hash: epskHash,
        binder: "ext",
        obfuscatedAge: 0,
      });
    }
  }
  return out;
}

/** RFC 9258 §4.1 TLS KDF identifiers, back to hash names. */
const KDF_IDS = new Map<number, HashName>(
  (Object.entries(TARGET_KDFS) as [HashName, { id: number }][]).map(([name, kdf]) => [kdf.id, name]),
);

export interface ServerPskSources {
  readonly crypto: Crypto;
  readonly sealer?: TicketSealer;
  readonly externalPsks?: (identity: Uint8Array) => ExternalPsk | undefined;
  readonly nowMs: number;
}

/**
 * Resolves one offered identity. Unknown, expired or undecryptable identities
 * give undefined: the server then ignores that offer (§4.2.11) rather than
 * failing the handshake.
 */
export function resolveServerPsk(
  src: ServerPskSources,
  identity: Uint8Array,
  obfuscatedAge: number,
): PskCandidate | undefined {
  if (src.sealer) {
    const sealed = src.sealer.open(identity, src.nowMs);
    const state = sealed ? decodeTicketState(sealed) : undefined;
    if (state) {
      if (!ticketAgeAcceptable(state, obfuscatedAge, src.nowMs)) return undefined;
      return {
        identity,
        key: state.psk,
        hash: state.suite.hash,
        binder: "res",
        obfuscatedAge,
        resumption: state,
      };
    }
  }
  if (!src.externalPsks) return undefined;
  const plain = src.externalPsks(identity);
  if (plain && !plain.importer) {
    return { identity, key: plain.key, hash: plain.hash ?? DEFAULT_EPSK_HASH, binder: "ext", obfuscatedAge };
  }
  const imported = decodeImportedIdentity(identity);
  const kdf = imported ? KDF_IDS.get(imported.targetKdf) : undefined;
  if (!imported || !kdf || imported.targetProtocol !== TLS13) return undefined;
  const epsk = src.externalPsks(imported.externalIdentity);
  if (!epsk?.importer) return undefined;
  const derived = importPsk(
    src.crypto.hash(epsk.hash ?? DEFAULT_EPSK_HASH),
    epsk.key,
    { identity: epsk.identity, context: epsk.importer.context },
    TLS13,
    kdf,
  );
  // The identity must be exactly the one this EPSK and context produce.
  if (!bytesEqual(derived.identity, identity)) return undefined;
  return { identity, key: derived.ipsk, hash: kdf, binder: "imp", obfuscatedAge };
}
