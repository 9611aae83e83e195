/**
 * Two connected in-memory Duplex streams: what one end writes, the other
 * reads. A test and benchmark carrier for the TLS adapter that behaves like a
 * socket where it matters: backpressure (a write is acknowledged only once the
 * reader has room), half-close (end() gives the other side 'end'), and abrupt
 * close (destroy() on one end destroys the other, like a reset).
 */
import { Duplex } from "node:stream";

/** Default buffer per direction before the writer is held back: one TCP-like window. */
export const DEFAULT_MEMORY_PAIR_HIGH_WATER_MARK_BYTES = 64 * 1024;

export interface MemoryPairOptions {
  /** Readable buffer of each end, bytes (default 64 KiB). */
  highWaterMark?: number;
}

class MemoryEnd extends Duplex {
  peer!: MemoryEnd;
  /** The write callback held back until our peer's reader asks for more. */
  private heldWrite: (() => void) | undefined;
  /** Bytes written so far (for wire accounting in tests and benchmarks). */
  bytesWritten = 0;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytesWritten += chunk.length;
    // Copy: the writer may reuse its buffer after the callback, as it may with a socket.
    if (this.peer.push(Buffer.from(chunk))) callback();
    else this.heldWrite = () => callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer.push(null);
    callback();
  }

  override _read(): void {
    const release = this.peer.heldWrite;
    this.peer.heldWrite = undefined;
    release?.();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.peer.destroyed) this.peer.destroy();
    callback(error);
  }
}

/** Returns the two ends; conventionally [client, server]. */
export function createMemoryPair(
  options: MemoryPairOptions = {},
): [Duplex & { bytesWritten: number }, Duplex & { bytesWritten: number }] {
  const highWaterMark = options.highWaterMark ?? DEFAULT_MEMORY_PAIR_HIGH_WATER_MARK_BYTES;
  const a = new MemoryEnd({ highWaterMark, allowHalfOpen: true });
  const b = new MemoryEnd({ highWaterMark, allowHalfOpen: true });
  a.peer = b;
  b.peer = a;
  return [a, b];
}
