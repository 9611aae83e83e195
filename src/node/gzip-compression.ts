/**
 * gzip per-message compression (gRPC doc/compression.md) over node:zlib, the
 * Node entry's default (src/node/rpc-defaults.ts). The rpc core only knows
 * the Compression interface; each platform brings its own implementations.
 */
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { Code } from "../rpc/code.ts";
import type { Compression } from "../rpc/compression.ts";
import { RpcError } from "../rpc/rpc-error.ts";

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

/** What a Node client or server accepts unless told otherwise. */
export const NODE_COMPRESSIONS: readonly Compression[] = [gzipCompression];
