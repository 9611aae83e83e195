/** `npm start` (src/demo/main.ts) from nothing: certificates made, all four call kinds on three carriers, exit 0. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);
const DEMO_TIMEOUT_MS = 60_000;

test("the demo creates its certificates and runs every call kind over pqrpc/1, h2 and WebSocket", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pqrpc-demo-"));
  try {
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "src/demo/main.ts", "--dir", join(dir, "certs")],
      { timeout: DEMO_TIMEOUT_MS },
    );
    assert.match(stdout, /creating a development CA/);
    for (const label of ["pqrpc/1 over TCP", "gRPC \\(HTTP/2\\) over TCP", "pqrpc/1 over WebSocket"]) {
      assert.match(stdout, new RegExp(`== ${label}`));
    }
    assert.equal(
      stdout.match(/X25519MLKEM768, TLS_AES_256_GCM_SHA384; server signature ml-dsa-65/g)?.length,
      3,
    );
    assert.equal(stdout.match(/unary .* hello ada\n/g)?.length, 3);
    assert.equal(stdout.match(/server streaming .* \| hello ada \(3\/3\)\n/g)?.length, 3);
    assert.equal(stdout.match(/client streaming .* ada, grace, alan\n/g)?.length, 3);
    assert.equal(stdout.match(/bidi streaming .* you said: pong\n/g)?.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
