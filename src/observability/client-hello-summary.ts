/**
 * What a client offered, read from the plaintext ClientHello at the start of
 * a connection (RFC 8446 §4.1.2), for security events ("what was offered")
 * and ticket checks. The adapter hands us the carrier's first bytes; we keep
 * at most MAX_CLIENT_HELLO_CAPTURE_BYTES of them and parse them only when
 * asked, with the engine's own codec.
 *
 * Until the TLS engine's observer is merged this is the only way to learn
 * the offer; with it, the engine reports the decoded ClientHello and this
 * file is no longer needed.
 */
import { concatChunks, toHex } from "../bytes/bytes.ts";
import { cipherSuiteByCodepoint, groupByCodepoint, signatureByCodepoint } from "../crypto/registry.ts";
import type { Hash } from "../crypto/types.ts";
import { alpn, keyShareClient, preSharedKeyClient, serverName, u16List } from "../tls/codec/extensions.ts";
import { clientHello, HANDSHAKE_HEADER_BYTES } from "../tls/codec/messages.ts";
import { ExtensionType, HandshakeType } from "../tls/codec/types.ts";
import { ContentType, RECORD_HEADER_BYTES } from "../tls/record-layer.ts";

/** Bytes of a connection's start kept for the ClientHello: a hybrid offer is ~1.5 KiB, several PQ shares ~5 KiB. */
export const MAX_CLIENT_HELLO_CAPTURE_BYTES = 16 * 1024;
/** Hex digits of a ticket fingerprint: SHA-256 of the PSK identity, cut (never the ticket itself). */
const TICKET_FINGERPRINT_BYTES = 16;

export interface ClientHelloSummary {
  /** supported_groups by name (or "0x...." for codepoints we do not know), in the client's order. */
  readonly groups: readonly string[];
  /** The groups of the key shares sent. */
  readonly keyShares: readonly string[];
  readonly signatureAlgorithms: readonly string[];
  readonly cipherSuites: readonly string[];
  readonly alpn: readonly string[];
  readonly serverName: string | undefined;
  /** Fingerprints of the offered PSK identities (tickets), empty when none. */
  readonly pskFingerprints: readonly string[];
}

const hex16 = (v: number) => `0x${v.toString(16).padStart(4, "0")}`;

/** Collects the first bytes a client sends. */
export class ClientHelloCapture {
  private readonly chunks: Uint8Array[] = [];
  private bytes = 0;
  private summary: ClientHelloSummary | null | undefined;

  push(chunk: Uint8Array): void {
    if (this.bytes >= MAX_CLIENT_HELLO_CAPTURE_BYTES || this.summary !== undefined) return;
    const take = chunk.subarray(0, MAX_CLIENT_HELLO_CAPTURE_BYTES - this.bytes);
    // The adapter may reuse nothing, but the carrier's buffer may be pooled: copy what we keep.
    this.chunks.push(take.slice());
    this.bytes += take.length;
  }

  /** The offer, or undefined when the bytes are not a whole, well-formed ClientHello. Parsed once. */
  parse(sha256: Hash): ClientHelloSummary | undefined {
    if (this.summary === undefined) {
      this.summary = summarize(concatChunks(this.chunks, this.bytes), sha256) ?? null;
      this.chunks.length = 0;
    }
    return this.summary ?? undefined;
  }
}

/** The handshake bytes of the plaintext records at the start of `data` (§5.1). */
function handshakePayload(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  while (at + RECORD_HEADER_BYTES <= data.length && data[at] === ContentType.handshake) {
    const length = (data[at + 3]! << 8) | data[at + 4]!;
    const end = at + RECORD_HEADER_BYTES + length;
    parts.push(data.subarray(at + RECORD_HEADER_BYTES, Math.min(end, data.length)));
    at = end;
  }
  return concatChunks(parts);
}

function summarize(data: Uint8Array, sha256: Hash): ClientHelloSummary | undefined {
  const hs = handshakePayload(data);
  if (hs.length < HANDSHAKE_HEADER_BYTES || hs[0] !== HandshakeType.client_hello) return undefined;
  const length = (hs[1]! << 16) | (hs[2]! << 8) | hs[3]!;
  if (hs.length < HANDSHAKE_HEADER_BYTES + length) return undefined;
  try {
    const ch = clientHello.decode(hs.subarray(HANDSHAKE_HEADER_BYTES, HANDSHAKE_HEADER_BYTES + length));
    const ext = ch.extensions;
    const list = (type: number, what: string) => {
      const d = ext.get(type);
      return d === undefined ? [] : u16List.decode(d, what);
    };
    const groupName = (c: number) => groupByCodepoint(c)?.name ?? hex16(c);
    const sni = ext.get(ExtensionType.server_name);
    const alpnData = ext.get(ExtensionType.application_layer_protocol_negotiation);
    const shares = ext.get(ExtensionType.key_share);
    const psk = ext.get(ExtensionType.pre_shared_key);
    return {
      groups: list(ExtensionType.supported_groups, "supported_groups").map(groupName),
      keyShares: shares === undefined ? [] : keyShareClient.decode(shares).map((s) => groupName(s.group)),
      signatureAlgorithms: list(ExtensionType.signature_algorithms, "signature_algorithms").map(
        (c) => signatureByCodepoint(c)?.name ?? hex16(c),
      ),
      cipherSuites: ch.cipherSuites.map((c) => cipherSuiteByCodepoint(c)?.name ?? hex16(c)),
      alpn: alpnData === undefined ? [] : alpn.decode(alpnData),
      serverName: sni === undefined ? undefined : serverName.decode(sni),
      pskFingerprints:
        psk === undefined
          ? []
          : preSharedKeyClient
              .decode(psk)
              .identities.map((i) => toHex(sha256.digest(i.identity).subarray(0, TICKET_FINGERPRINT_BYTES))),
    };
  } catch {
    // A malformed hello: the engine refused it with its own alert; we report the offer as unknown.
    return undefined;
  }
}
