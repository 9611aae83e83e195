/**
 * gzip per-message compression (gRPC doc/compression.md) over the browser's
 * Compression Streams API, the browser entry's default where the browser has
 * it (BROWSER_COMPRESSIONS is empty where it does not). Inflating stops at
 * the receive limit, so a zip bomb costs at most the limit.
 */
import { concatChunks } from "../bytes/bytes.ts";
import { Code } from "../rpc/code.ts";
import type { Compression } from "../rpc/compression.ts";
import { RpcError } from "../rpc/rpc-error.ts";

/** The inflated or deflated bytes, or `undefined` once more than `maxBytes` came out. */
async function run(
  stream: CompressionStream | DecompressionStream,
  data: Uint8Array,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  const writer = stream.writable.getWriter();
  // Errors surface through the reader; the writer's own rejection would be unhandled.
  writer.write(data as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    parts.push(value);
  }
  return concatChunks(parts, total);
}

export const browserGzipCompression: Compression = {
  name: "gzip",
  async compress(data) {
    return (await run(new CompressionStream("gzip"), data, Number.MAX_SAFE_INTEGER))!;
  },
  async decompress(data, maxBytes) {
    let out: Uint8Array | undefined;
    try {
      out = await run(new DecompressionStream("gzip"), data, maxBytes);
    } catch (e) {
      throw new RpcError(Code.INTERNAL, `invalid gzip message: ${(e as Error).message}`);
    }
    if (out === undefined) {
      throw new RpcError(Code.RESOURCE_EXHAUSTED, `decompressed message larger than ${maxBytes} bytes`);
    }
    return out;
  },
};

/** What the browser client accepts unless told otherwise: gzip where Compression Streams exist. */
export const BROWSER_COMPRESSIONS: readonly Compression[] =
  typeof CompressionStream === "function" && typeof DecompressionStream === "function"
    ? [browserGzipCompression]
    : [];
