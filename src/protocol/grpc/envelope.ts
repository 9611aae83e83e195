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
import { ByteReader, type ReadErrorFactory } from "../../bytes/byte-reader.ts";
import { ByteWriter } from "../../bytes/byte-writer.ts";
import { ChunkQueue } from "../../bytes/chunk-queue.ts";
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
  return new ByteWriter(ENVELOPE_PREFIX_BYTES)
    .u8(message.compressed ? FLAG_COMPRESSED : FLAG_UNCOMPRESSED)
    .u32(message.data.length)
    .finish();
}

/** The whole envelope in one buffer (prefix + message bytes). */
export function encodeEnvelope(message: WireMessage): Uint8Array {
  return new ByteWriter(ENVELOPE_PREFIX_BYTES + message.data.length)
    .u8(message.compressed ? FLAG_COMPRESSED : FLAG_UNCOMPRESSED)
    .u32(message.data.length)
    .bytes(message.data)
    .finish();
}

/** Reader failures inside a prefix: a protocol error of the peer (PROTOCOL-HTTP2 maps them to INTERNAL). */
const prefixError: ReadErrorFactory = (_failure, message) =>
  new RpcError(Code.INTERNAL, `protocol error: ${message}`);

/**
 * Incremental decoder of a stream of envelopes. `push` returns the messages
 * completed by a chunk; it throws RESOURCE_EXHAUSTED for a declared length
 * above the limit and INTERNAL for an invalid flag; `end` throws INTERNAL if
 * the stream stopped inside a message (truncation). A message inside one
 * chunk is a view of it, one that spans chunks a new array (the ChunkQueue rule).
 */
export class EnvelopeReader {
  readonly #maxMessageBytes: number;
  readonly #admit: ((length: number) => void) | undefined;
  readonly #queue: ChunkQueue;
  /** The parsed prefix of the message being assembled, once its 5 bytes are in. */
  #pending: { compressed: boolean; length: number } | undefined;

  /**
   * `admit` sees every declared length once it passed the receive limit,
   * before any of the message is buffered; it throws (an RpcError) to refuse
   * the message, e.g. when the server's receive budget is used up.
   */
  constructor(maxMessageBytes: number, admit?: (length: number) => void) {
    this.#maxMessageBytes = maxMessageBytes;
    this.#admit = admit;
    this.#queue = new ChunkQueue({
      // One prefix and one message at the limit: all a draining reader ever holds.
      maxBytes: ENVELOPE_PREFIX_BYTES + maxMessageBytes,
      overflow: (held, max) =>
        new RpcError(Code.RESOURCE_EXHAUSTED, `envelope reader holds ${held} bytes, more than ${max}`),
    });
  }

  /** Bytes held for an incomplete message (never above the limit + prefix). */
  get bufferedBytes(): number {
    return this.#queue.length;
  }

  push(chunk: Uint8Array): WireMessage[] {
    const out: WireMessage[] = [];
    const q = this.#queue;
    q.push(chunk);
    for (;;) {
      if (this.#pending === undefined) {
        if (q.length < ENVELOPE_PREFIX_BYTES) return out;
        this.#pending = this.#parsePrefix(q.take(ENVELOPE_PREFIX_BYTES));
      }
      if (q.length < this.#pending.length) return out;
      out.push({ data: q.take(this.#pending.length), compressed: this.#pending.compressed });
      this.#pending = undefined;
    }
  }

  end(): void {
    const held = this.#queue.length;
    if (this.#pending !== undefined || held > 0) {
      const expected =
        this.#pending === undefined
          ? `a ${ENVELOPE_PREFIX_BYTES}-byte message prefix`
          : `${this.#pending.length} message bytes`;
      throw new RpcError(
        Code.INTERNAL,
        `protocol error: stream ended inside a message (expected ${expected}, got ${held})`,
      );
    }
  }

  #parsePrefix(prefix: Uint8Array): { compressed: boolean; length: number } {
    const r = new ByteReader(prefix, "message prefix", prefixError);
    const flag = r.u8("Compressed-Flag");
    if (flag !== FLAG_UNCOMPRESSED && flag !== FLAG_COMPRESSED) {
      throw new RpcError(Code.INTERNAL, `protocol error: invalid compressed flag 0x${flag.toString(16)}`);
    }
    const length = r.u32("Message-Length");
    if (length > this.#maxMessageBytes) {
      throw new RpcError(
        Code.RESOURCE_EXHAUSTED,
        `message of ${length} bytes exceeds the receive limit of ${this.#maxMessageBytes} bytes`,
      );
    }
    this.#admit?.(length);
    return { compressed: flag === FLAG_COMPRESSED, length };
  }
}
