/**
 * Reassembles handshake messages from record fragments (RFC 8446 §5.1): a
 * message may span records and a record may hold several messages. The
 * declared length is checked against the per-type bound as soon as the
 * header arrives, so at most one bounded message is ever buffered.
 */
import { fatal } from "../alert.ts";
import { MAX_CERTIFICATE_MESSAGE_BYTES, MAX_HANDSHAKE_MESSAGE_BYTES } from "./limits.ts";
import { HANDSHAKE_HEADER_BYTES, type HandshakeMessage } from "./messages.ts";
import { HandshakeType } from "./types.ts";

export function maxMessageBytes(type: number): number {
  return type === HandshakeType.certificate ? MAX_CERTIFICATE_MESSAGE_BYTES : MAX_HANDSHAKE_MESSAGE_BYTES;
}

export class HandshakeJoiner {
  private chunks: Uint8Array[] = [];
  private total = 0;

  /** Bytes held that do not yet form a whole message. */
  get buffered(): number {
    return this.total;
  }

  push(fragment: Uint8Array): void {
    if (fragment.length === 0) return;
    this.chunks.push(fragment);
    this.total += fragment.length;
    this.peekLength(); // fail early on an oversized header
  }

  private peek(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.chunks) {
      if (at >= n) break;
      const take = Math.min(c.length, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
    }
    return out;
  }

  private peekLength(): number | undefined {
    if (this.total < HANDSHAKE_HEADER_BYTES) return undefined;
    const h = this.peek(HANDSHAKE_HEADER_BYTES);
    const type = h[0]!;
    const length = (h[1]! << 16) | (h[2]! << 8) | h[3]!;
    const max = maxMessageBytes(type);
    if (length > max)
      throw fatal("decode_error", `handshake message type ${type} of ${length} bytes exceeds ${max}`);
    return length;
  }

  next(): HandshakeMessage | undefined {
    const length = this.peekLength();
    if (length === undefined || this.total < HANDSHAKE_HEADER_BYTES + length) return undefined;
    const n = HANDSHAKE_HEADER_BYTES + length;
    const raw = this.peek(n);
    this.consume(n);
    return { type: raw[0]!, body: raw.subarray(HANDSHAKE_HEADER_BYTES), raw };
  }

  private consume(n: number): void {
    let left = n;
    while (left > 0) {
      const c = this.chunks[0]!;
      if (c.length <= left) {
        this.chunks.shift();
        left -= c.length;
      } else {
        this.chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.total -= n;
  }
}
