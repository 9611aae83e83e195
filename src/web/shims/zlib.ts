/**
 * The two node:zlib functions src/rpc/compression.ts uses (gzip and gunzip,
 * callback style), for the browser bundle (aliased by scripts/build-web.mjs),
 * over the Compression Streams API. `maxOutputLength` stops inflating at the
 * limit with ERR_BUFFER_TOO_LARGE, as node:zlib does, so a zip bomb costs
 * at most the limit.
 */
type Callback = (error: Error | null, result?: Uint8Array) => void;

async function run(
  stream: CompressionStream | DecompressionStream,
  data: Uint8Array,
  maxBytes: number,
): Promise<Uint8Array> {
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
      throw Object.assign(new RangeError(`output larger than ${maxBytes} bytes`), {
        code: "ERR_BUFFER_TOO_LARGE",
      });
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function gzip(data: Uint8Array, callback: Callback): void {
  run(new CompressionStream("gzip"), data, Number.MAX_SAFE_INTEGER).then(
    (r) => callback(null, r),
    (e: Error) => callback(e),
  );
}

export function gunzip(data: Uint8Array, options: { maxOutputLength?: number }, callback: Callback): void {
  run(new DecompressionStream("gzip"), data, options.maxOutputLength ?? Number.MAX_SAFE_INTEGER).then(
    (r) => callback(null, r),
    (e: Error) => callback(e),
  );
}
