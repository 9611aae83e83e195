/**
 * The browser-bundle shims and the WebSocket message joiner, run on Node
 * (which has the same Compression Streams and MessageChannel). The browser
 * itself is exercised end to end by test/browser/browser.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { clearImmediate, setImmediate } from "./shims/immediate.ts";
import { promisify } from "./shims/util.ts";
import { gunzip, gzip } from "./shims/zlib.ts";

test("zlib shim: gzip/gunzip interoperate with node:zlib", async () => {
  const data = new TextEncoder().encode("pqrpc ".repeat(1000));
  const gz = promisify<Uint8Array>(gzip);
  const gunz = promisify<Uint8Array>(gunzip);
  assert.deepEqual(gunzipSync(await gz(data)), Buffer.from(data));
  assert.deepEqual(Buffer.from(await gunz(gzipSync(data), {})), Buffer.from(data));
});

test("zlib shim: gunzip stops at maxOutputLength with ERR_BUFFER_TOO_LARGE; corrupt input fails", async () => {
  const bomb = gzipSync(new Uint8Array(1024 * 1024));
  const gunz = promisify<Uint8Array>(gunzip);
  await assert.rejects(gunz(bomb, { maxOutputLength: 1000 }), { code: "ERR_BUFFER_TOO_LARGE" });
  await assert.rejects(gunz(new Uint8Array([1, 2, 3, 4]), {}));
});

test("immediate shim: runs tasks in order, and a cleared one never", async () => {
  const ran: number[] = [];
  await new Promise<void>((done) => {
    setImmediate(() => ran.push(1));
    const cleared = setImmediate(() => ran.push(2));
    setImmediate(() => ran.push(3));
    clearImmediate(cleared);
    setImmediate(() => done());
  });
  assert.deepEqual(ran, [1, 3]);
});
