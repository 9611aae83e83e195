/**
 * Per-message compression (gRPC doc/compression.md): a message is compressed
 * on its own and flagged in its envelope; the algorithm is named once per
 * call (grpc-encoding) and the peer lists what it accepts (grpc-accept-encoding).
 * Decompression is bounded: a message that inflates past the receive limit
 * fails with RESOURCE_EXHAUSTED before the memory is spent (zip bombs).
 *
 * The core has the interface only and accepts identity unless given
 * compressions: each platform injects its own, as Connect does (Node: gzip
 * over node:zlib in src/node/; browsers: Compression Streams in src/web/).
 */
export interface Compression {
  /** The grpc-encoding token. */
  readonly name: string;
  compress(data: Uint8Array): Promise<Uint8Array>;
  /** Inflates `data`; fails with RESOURCE_EXHAUSTED past `maxBytes`, INTERNAL on corrupt input. */
  decompress(data: Uint8Array, maxBytes: number): Promise<Uint8Array>;
}

/** The encoding that means "not compressed". */
export const IDENTITY = "identity";

export function findCompression(
  name: string | undefined,
  available: readonly Compression[],
): Compression | undefined {
  if (name === undefined || name === IDENTITY) return undefined;
  return available.find((c) => c.name === name);
}
