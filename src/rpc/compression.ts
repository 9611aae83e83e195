/**
 * Per-message compression (gRPC doc/compression.md): a message is compressed
 * on its own and flagged in its envelope; the algorithm is named once per
 * call (grpc-encoding) and the peer lists what it accepts (grpc-accept-encoding).
 * Decompression is bounded: a message that inflates past the receive limit
 * fails with RESOURCE_EXHAUSTED before the memory is spent (zip bombs).
 */
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { Code } from "./code.ts";
import { RpcError } from "./rpc-error.ts";

export interface Compression {
  /** The grpc-encoding token. */
  readonly name: string;
  compress(data: Uint8Array): Promise<Uint8Array>;
  /** Inflates `data`; fails with RESOURCE_EXHAUSTED past `maxBytes`, INTERNAL on corrupt input. */
  decompress(data: Uint8Array, maxBytes: number): Promise<Uint8Array>;
}

/** The encoding that means "not compressed". */
export const IDENTITY = "identity";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export const gzipCompression: Compression = {
  name: "gzip",
  async compress(data) {
    return new Uint8Array(await gzipAsync(data));
  },
  async decompress(data, maxBytes) {
    try {
      // maxOutputLength makes zlib stop inflating at the limit (ERR_BUFFER_TOO_LARGE)
      // instead of allocating whatever the input claims.
      return new Uint8Array(await gunzipAsync(data, { maxOutputLength: Math.max(1, maxBytes) }));
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "ERR_BUFFER_TOO_LARGE" || code === "ERR_OUT_OF_RANGE") {
        throw new RpcError(Code.RESOURCE_EXHAUSTED, `decompressed message larger than ${maxBytes} bytes`);
      }
      throw new RpcError(Code.INTERNAL, `invalid gzip message: ${(e as Error).message}`);
    }
  },
};

/** The compressions pqrpc implements, by grpc-encoding name. */
export const BUILTIN_COMPRESSIONS: readonly Compression[] = [gzipCompression];

export function findCompression(
  name: string | undefined,
  available: readonly Compression[],
): Compression | undefined {
  if (name === undefined || name === IDENTITY) return undefined;
  return available.find((c) => c.name === name);
}
