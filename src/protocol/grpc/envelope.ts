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

/**
 * The 5-byte prefix of `message`, in an uninitialized buffer (Buffer.allocUnsafe,
 * small ones from Node's pool) whose every byte is written here.
 */
export function encodeEnvelopePrefix(message: WireMessage): Uint8Array {
  const out = Buffer.allocUnsafe(ENVELOPE_PREFIX_BYTES);
  writePrefix(out, message.compressed, message.data.length);
  return out;
}

/**
 * The whole envelope in one uninitialized buffer, filled completely: prefix,
 * then the message bytes. A small one is a slice of Node's shared Buffer pool
 * (`.buffer` is the pool's slab, as for any Buffer.allocUnsafe result), so it
 * is for writing to a stream, not for handing to code that reads `.buffer`.
 */
export function encodeEnvelope(message: WireMessage): Uint8Array {
  const data = message.data;
  const out = Buffer.allocUnsafe(ENVELOPE_PREFIX_BYTES + data.length);
  writePrefix(out, message.compressed, data.length);
  out.set(data, ENVELOPE_PREFIX_BYTES);
  return out;
}

function writePrefix(out: Buffer, compressed: boolean, length: number): void {
  out[0] = compressed ? FLAG_COMPRESSED : FLAG_UNCOMPRESSED;
  out.writeUInt32BE(length, 1);
}

/** Sees each declared message length before the message is buffered (see EnvelopeReader). */
export interface EnvelopeAdmission {
  /** Throws (an RpcError) to refuse the message. */
  admit(length: number): void;
}

function heldTooMuch(held: number, max: number): RpcError {
  return new RpcError(Code.RESOURCE_EXHAUSTED, `envelope reader holds ${held} bytes, more than ${max}`);
}

/**
 * Incremental decoder of a stream of envelopes. `push` returns the messages
 * completed by a chunk; it throws RESOURCE_EXHAUSTED for a declared length
 * above the limit and INTERNAL for an invalid flag; `end` throws INTERNAL if
 * the stream stopped inside a message (truncation). A message inside one
 * chunk is a view of it, one that spans chunks a new array (the ChunkQueue rule).
 */
export class EnvelopeReader {
  readonly #maxMessageBytes: number;
  readonly #admission: EnvelopeAdmission | undefined;
  readonly #queue: ChunkQueue;
  /** The parsed prefix of the message being assembled, once its 5 bytes are in. */
  #pending: { compressed: boolean; length: number } | undefined;

  /**
   * `admission` sees every declared length once it passed the receive limit,
   * before any of the message is buffered; it throws (an RpcError) to refuse
   * the message, e.g. when the server's receive budget is used up. An object,
   * not a function: a server call admits for itself, without a closure per call.
   */
  constructor(maxMessageBytes: number, admission?: EnvelopeAdmission) {
    this.#maxMessageBytes = maxMessageBytes;
    this.#admission = admission;
    this.#queue = new ChunkQueue({
      // One prefix and one message at the limit: all a draining reader ever holds.
      maxBytes: ENVELOPE_PREFIX_BYTES + maxMessageBytes,
      overflow: heldTooMuch,
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
    // take() returned exactly ENVELOPE_PREFIX_BYTES bytes: read them directly, no reader object per message.
    const flag = prefix[0]!;
    if (flag !== FLAG_UNCOMPRESSED && flag !== FLAG_COMPRESSED) {
      throw new RpcError(Code.INTERNAL, `protocol error: invalid compressed flag 0x${flag.toString(16)}`);
    }
    const length = prefix[1]! * 0x1000000 + ((prefix[2]! << 16) | (prefix[3]! << 8) | prefix[4]!);
    if (length > this.#maxMessageBytes) {
      throw new RpcError(
        Code.RESOURCE_EXHAUSTED,
        `message of ${length} bytes exceeds the receive limit of ${this.#maxMessageBytes} bytes`,
      );
    }
    this.#admission?.admit(length);
    return { compressed: flag === FLAG_COMPRESSED, length };
  }
}
