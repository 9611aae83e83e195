/**
 * The ticket key file as hostile input to `pqrpc serve --ticket-keys`
 * (src/server/ticket-key-file.ts): an oversized file and a garbage one are
 * refused at start with the precise reason, and swapped in under a running
 * server they are refused on reload, the keys loaded before are kept, the
 * file is never read whole (RSS stays bounded) and the server still serves.
 */
import assert from "node:assert/strict";
import { mkdtemp, open, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { defaultCrypto } from "../../src/crypto/select.ts";
import { newTicketKeys, writeTicketKeyFile } from "../../src/server/index.ts";
import { MAX_TICKET_KEY_FILE_BYTES } from "../../src/server/ticket-key-set.ts";
import { MIB, vmRssBytes } from "../hostile/harness.ts";
import { runProcess } from "../interop/child-process.ts";
import { type DemoServe, PQRPC_BIN, startDemoServe } from "./serve-process.ts";

/** Far over MAX_TICKET_KEY_FILE_BYTES, and over the RSS bound: a server that read it whole would show. */
const OVERSIZED_BYTES = 64 * MIB;
const RSS_BOUND_BYTES = 32 * MIB;
const RELOAD_WAIT_MS = 60_000;
const KEPT = "keeping the ticket keys loaded before";

/** Swaps `path` for a file (mode 600) made by `fill`, by rename: the watcher sees a new file. */
async function replaceFile(path: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${path}.new`;
  await fill(tmp);
  await rename(tmp, path);
}

/** A sparse file of `bytes` (no disk use): its size is what the server must look at first. */
async function sparse(path: string, bytes: number): Promise<void> {
  const f = await open(path, "w", 0o600);
  await f.truncate(bytes);
  await f.close();
}

describe("pqrpc serve --ticket-keys: oversized and garbage files", { timeout: 180_000 }, () => {
  let dir: string;
  let keyFile: string;
  let serve: DemoServe;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pqrpc-ticket-keys-"));
    keyFile = join(dir, "ticket-keys.json");
    const crypto = defaultCrypto();
    await writeTicketKeyFile(
      keyFile,
      newTicketKeys((n) => crypto.randomBytes(n), Date.now()),
    );
    serve = await startDemoServe(["--ticket-keys", keyFile]);
  });
  after(async () => {
    await serve?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("refused at start with the reason: too large, not JSON", async () => {
    const big = join(dir, "big.json");
    await sparse(big, OVERSIZED_BYTES);
    const garbage = join(dir, "garbage.json");
    await writeFile(garbage, "\u0000not json at all", { mode: 0o600 });
    for (const [file, why] of [
      [big, new RegExp(`${OVERSIZED_BYTES} bytes, more than ${MAX_TICKET_KEY_FILE_BYTES}`)],
      [garbage, /ticket key file: not JSON/],
    ] as const) {
      const r = await runProcess(
        process.execPath,
        [PQRPC_BIN, "serve", "--demo", "--host", "127.0.0.1", "--port", "0", "--ticket-keys", file],
        { timeoutMs: 90_000 },
      );
      // EXIT_USAGE (src/cli/main.ts): a bad argument file, one line saying why.
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^pqrpc: serve: --ticket-keys: /);
      assert.match(r.stderr, why);
    }
  });

  it("swapped in under a running server: refused on reload, old keys kept, RSS bounded, still serving", async () => {
    const proc = serve.process;
    assert.match(proc.output(), /loaded \d+ ticket key\(s\)/);
    assert.equal(await serve.sayHello("pqrpc/1"), "hello ops");
    const baseline = await vmRssBytes(proc.pid);
    const keptCount = () => proc.output().split(KEPT).length - 1;

    const cases: [string, (tmp: string) => Promise<void>, RegExp][] = [
      [
        "oversized",
        (tmp) => sparse(tmp, OVERSIZED_BYTES),
        new RegExp(`${OVERSIZED_BYTES} bytes, more than ${MAX_TICKET_KEY_FILE_BYTES}; ${KEPT}`),
      ],
      [
        "garbage",
        (tmp) => writeFile(tmp, "{not json", { mode: 0o600 }),
        new RegExp(`ticket key file: not JSON; ${KEPT}`),
      ],
      [
        "wrong format",
        (tmp) => writeFile(tmp, JSON.stringify({ format: "x", keys: [] }), { mode: 0o600 }),
        new RegExp(`ticket key file: format is not "[^"]+"; ${KEPT}`),
      ],
    ];
    for (const [what, fill, line] of cases) {
      const before = keptCount();
      await replaceFile(keyFile, fill);
      const deadline = Date.now() + RELOAD_WAIT_MS;
      while (keptCount() === before) {
        if (Date.now() > deadline) assert.fail(`${what}: no refused reload:\n${proc.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(proc.output(), line, what);
      assert.equal(await serve.sayHello("pqrpc/1"), "hello ops", `${what}: still serving`);
      const rss = await vmRssBytes(proc.pid);
      assert.ok(
        rss <= baseline + RSS_BOUND_BYTES,
        `${what}: RSS ${(rss / MIB).toFixed(1)} MiB, baseline ${(baseline / MIB).toFixed(1)} MiB`,
      );
    }
    // Only the first load happened: every bad file was refused, none replaced the keys.
    assert.equal(proc.output().split(/loaded \d+ ticket key\(s\)/).length - 1, 1);
  });
});
