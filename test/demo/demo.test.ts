/**
 * `npm start` (src/demo/main.ts) from nothing: certificates made, all four call kinds on three carriers;
 * with --once it exits 0 after that; without, it serves the browser page until SIGINT, then exits 0.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);
const DEMO_TIMEOUT_MS = 60_000;

test("the demo creates its certificates and runs every call kind over pqrpc/1, h2 and WebSocket", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pqrpc-demo-"));
  try {
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "src/demo/main.ts", "--once", "--dir", join(dir, "certs")],
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

test("without --once the demo serves a web page with the bundle and the CA, and stops on SIGINT", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pqrpc-demo-"));
  // What `npm start` runs (tsx src/demo/main.ts), spawned directly so the signal reaches the demo.
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/demo/main.ts", "--dir", join(dir, "certs")],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const timer = setTimeout(() => child.kill("SIGKILL"), DEMO_TIMEOUT_MS);
  try {
    let output = "";
    let url: string | undefined;
    for await (const line of createInterface({ input: child.stdout! })) {
      output += `${line}\n`;
      url = /^open (http:\/\/127\.0\.0\.1:\d+\/) to run the same calls from your browser/.exec(line)?.[1];
      if (url) break;
    }
    assert.ok(url, `no page URL printed:\n${output}`);
    assert.equal(output.match(/bidi streaming .* you said: pong\n/g)?.length, 3);
    const wsTarget = /pqrpc demo server on (127\.0\.0\.1:\d+)/.exec(output)![1];

    const page = await fetch(url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.ok(html.includes(`"url":"ws://${wsTarget}/"`), "the page points at the demo server's WebSocket");
    assert.match(html, /BEGIN CERTIFICATE/);
    assert.match(html, /<script type="module" src="\/page.js">/);

    const script = await (await fetch(new URL("page.js", url))).text();
    assert.match(script, /from\s*"\/web\/pqrpc-web\.js"/);
    const bundle = await fetch(new URL("web/pqrpc-web.js", url));
    assert.equal(bundle.status, 200);
    assert.ok((await bundle.arrayBuffer()).byteLength > 10_000);
    const ca = await (await fetch(new URL("ca.pem", url))).text();
    assert.match(ca, /^-----BEGIN CERTIFICATE-----/);
    assert.equal((await fetch(new URL("web/../../package.json", url))).status, 404);

    child.kill("SIGINT");
    const [code] = await once(child, "exit");
    assert.equal(code, 0);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
});
