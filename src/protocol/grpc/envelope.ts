/**
 * Length-Prefixed-Message of PROTOCOL-HTTP2 ("Requests"):
 *
 *   Length-Prefixed-Message -> Compressed-Flag Message-Length Message
 *   Compressed-Flag         -> 0 / 1          ; 1 byte unsigned
 *   Message-Length          -> {length}       ; 4 bytes unsigned, big endian
 *
 * DATA frame boundaries have no relation to message boundaries ("Data
 * Frames"), so the reader reassembles across chunks. It checks the declared
 * length against the receive limit as soon as the 5-byte prefix is complete,
 * before buffering the body: a peer cannot make us hold more than the limit.
 */
import { Code } from "../../rpc/code.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import type { WireMessage } from "../../rpc/transport.ts";

/** Compressed-Flag (1 byte) + Message-Length (4 bytes). */
export const ENVELOPE_PREFIX_BYTES = 5;
const FLAG_UNCOMPRESSED = 0;
const FLAG_COMPRESSED = 1;
/** Messages up to this size are copied behind their prefix in one buffer; larger ones are written as two chunks. */
export const ENVELOPE_COPY_MAX_BYTES = 16 * 1024;

/** The 5-byte prefix of `message`. */
export function encodeEnvelopePrefix(message: WireMessage): Uint8Array {
  const prefix = new Uint8Array(ENVELOPE_PREFIX_BYTES);
  prefix[0] = message.compressed ? FLAG_COMPRESSED : FLAG_UNCOMPRESSED;
  new DataView(prefix.buffer).setUint32(1, message.data.length, false);
  return prefix;
}

/** The whole envelope in one buffer (prefix + message bytes). */
export function encodeEnvelope(message: WireMessage): Uint8Array {
  const out = new Uint8Array(ENVELOPE_PREFIX_BYTES + message.data.length);
  out.set(encodeEnvelopePrefix(message), 0);
  out.set(message.data, ENVELOPE_PREFIX_BYTES);
  return out;
}

/**
 * Incremental decoder of a stream of envelopes. `push` returns the messages
 * completed by a chunk; it throws RESOURCE_EXHAUSTED for a declared length
 * above the limit and INTERNAL for an invalid flag; `end` throws INTERNAL if
 * the stream stopped inside a message (truncation).
 */
export class EnvelopeReader {
  readonly #maxMessageBytes: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** The parsed prefix of the message being assembled, once its 5 bytes are in. */
  #pending: { compressed: boolean; length: number } | undefined;

  constructor(maxMessageBytes: number) {
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** Bytes held for an incomplete message (never above the limit + prefix). */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  push(chunk: Uint8Array): WireMessage[] {
    const out: WireMessage[] = [];
    if (chunk.length === 0) return out;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#pending === undefined) {
        if (this.#buffered < ENVELOPE_PREFIX_BYTES) return out;
        this.#pending = this.#parsePrefix(this.#take(ENVELOPE_PREFIX_BYTES));
      }
      if (this.#buffered < this.#pending.length) return out;
      const data = this.#take(this.#pending.length);
      out.push({ data, compressed: this.#pending.compressed });
      this.#pending = undefined;
    }
  }

  end(): void {
    if (this.#pending !== undefined || this.#buffered > 0) {
      const expected =
        this.#pending === undefined
          ? `a ${ENVELOPE_PREFIX_BYTES}-byte message prefix`
          : `${this.#pending.length} message bytes`;
      throw new RpcError(
        Code.INTERNAL,
        `protocol error: stream ended inside a message (expected ${expected}, got ${this.#buffered})`,
      );
    }
  }

  #parsePrefix(prefix: Uint8Array): { compressed: boolean; length: number } {
    const flag = prefix[0]!;
    if (flag !== FLAG_UNCOMPRESSED && flag !== FLAG_COMPRESSED) {
      throw new RpcError(Code.INTERNAL, `protocol error: invalid compressed flag 0x${flag.toString(16)}`);
    }
    const length = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getUint32(1, false);
    if (length > this.#maxMessageBytes) {
      throw new RpcError(
        Code.RESOURCE_EXHAUSTED,
        `message of ${length} bytes exceeds the receive limit of ${this.#maxMessageBytes} bytes`,
      );
    }
    return { compressed: flag === FLAG_COMPRESSED, length };
  }

  /** Removes the first `n` buffered bytes (n <= buffered), copying only when they span chunks. */
  #take(n: number): Uint8Array {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= n) {
      const taken = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return taken;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const part = Math.min(chunk.length, n - filled);
      out.set(chunk.subarray(0, part), filled);
      filled += part;
      if (part === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part);
    }
    return out;
  }
}
