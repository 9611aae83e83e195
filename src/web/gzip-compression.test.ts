/** The browser's gzip, run on Node (which has the same Compression Streams), against node:zlib. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { utf8Encode } from "../bytes/bytes.ts";
import { Code } from "../rpc/code.ts";
import { RpcError } from "../rpc/rpc-error.ts";
import { BROWSER_COMPRESSIONS, browserGzipCompression as gzip } from "./gzip-compression.ts";

const hasCode = (c: Code) => (e: unknown) => e instanceof RpcError && e.code === c;

test("gzip interoperates with node:zlib both ways, and is the default where Compression Streams exist", async () => {
  const data = utf8Encode("pqrpc ".repeat(1000));
  assert.deepEqual(new Uint8Array(gunzipSync(await gzip.compress(data))), data);
  assert.deepEqual(await gzip.decompress(gzipSync(data), data.length), data);
  assert.deepEqual(BROWSER_COMPRESSIONS, [gzip]);
});

test("inflating stops at the limit (RESOURCE_EXHAUSTED); corrupt input is INTERNAL", async () => {
  const bomb = gzipSync(new Uint8Array(1024 * 1024));
  await assert.rejects(gzip.decompress(bomb, 1000), hasCode(Code.RESOURCE_EXHAUSTED));
  await assert.rejects(gzip.decompress(Uint8Array.of(1, 2, 3, 4), 1000), hasCode(Code.INTERNAL));
});
