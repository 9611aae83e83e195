/**
 * Reassembles handshake messages from record fragments (RFC 8446 §5.1): a
 * message may span records and a record may hold several messages. The
 * declared length is checked against the per-type bound as soon as the
 * header arrives, so at most one bounded message is ever buffered.
 *
 * push() takes ownership of the fragment (the connection hands over a copy):
 * a message inside one fragment is a view of it, one that spans fragments a
 * new array (the ChunkQueue rule).
 */
import { ChunkQueue } from "../../bytes/chunk-queue.ts";
import { fatal } from "../alert.ts";
import {
  MAX_CERTIFICATE_MESSAGE_BYTES,
  MAX_HANDSHAKE_JOINER_BYTES,
  MAX_HANDSHAKE_MESSAGE_BYTES,
} from "./limits.ts";
import { HANDSHAKE_HEADER_BYTES, type HandshakeMessage } from "./messages.ts";
import { HandshakeType } from "./types.ts";

export function maxMessageBytes(type: number): number {
  return type === HandshakeType.certificate ? MAX_CERTIFICATE_MESSAGE_BYTES : MAX_HANDSHAKE_MESSAGE_BYTES;
}

export class HandshakeJoiner {
  private readonly queue = new ChunkQueue({
    maxBytes: MAX_HANDSHAKE_JOINER_BYTES,
    overflow: (held, max) =>
      fatal("internal_error", `handshake joiner holds ${held} bytes, more than ${max}: drain it with next()`),
  });

  /** Bytes held that do not yet form a whole message. */
  get buffered(): number {
    return this.queue.length;
  }

  push(fragment: Uint8Array): void {
    this.queue.push(fragment);
    this.peekLength(); // fail early on an oversized header
  }

  /** The body length of the next message once its header is in; throws decode_error past the type's bound. */
  private peekLength(): number | undefined {
    const q = this.queue;
    if (q.length < HANDSHAKE_HEADER_BYTES) return undefined;
    const type = q.byteAt(0);
    const length = (q.byteAt(1) << 16) | (q.byteAt(2) << 8) | q.byteAt(3);
    const max = maxMessageBytes(type);
    if (length > max)
      throw fatal("decode_error", `handshake message type ${type} of ${length} bytes exceeds ${max}`);
    return length;
  }

  next(): HandshakeMessage | undefined {
    const length = this.peekLength();
    if (length === undefined || this.queue.length < HANDSHAKE_HEADER_BYTES + length) return undefined;
    const raw = this.queue.take(HANDSHAKE_HEADER_BYTES + length);
    return { type: raw[0]!, body: raw.subarray(HANDSHAKE_HEADER_BYTES), raw };
  }
}
