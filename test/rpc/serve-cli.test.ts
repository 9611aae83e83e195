/**
 * `pqrpc serve --interop` as a user runs it: a child process with
 * `pqrpc certs init` certificates, interop cases over both ALPNs and both
 * carriers against its one port, then SIGTERM and a clean exit (code 0).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { main } from "../../src/cli/main.ts";
import { connect } from "../../src/client/index.ts";
import { createInteropClients, runInteropCase } from "../../src/interop/client-cases.ts";
import { loadTrust } from "../../src/pki/load.ts";
import { SERVER_NAME } from "./helpers.ts";

const BIN = new URL("../../bin/pqrpc.mjs", import.meta.url).pathname;
/** Start-up bound: tsx compiles the sources on first run, ms. */
const START_TIMEOUT_MS = 30_000;

/** Resolves with the port from the "listening on HOST:PORT" line. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(
      () => reject(new Error(`no listening line; stdout: ${out} stderr: ${err}`)),
      START_TIMEOUT_MS,
    );
    child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited early with ${code}: ${err}`));
    });
  });
}

describe("pqrpc serve --interop", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pqrpc-serve-"));
    const code = await main(["certs", "init", "--dir", dir], { stdout: () => {}, stderr: () => {} });
    assert.equal(code, 0);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serves TestService on one port (h2 and pqrpc/1, TCP and WebSocket) and exits 0 on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "serve", "--interop", "--port", "0", "--host", "127.0.0.1"].concat([
        "--cert",
        join(dir, "server.pem"),
        "--key",
        join(dir, "server.key"),
      ]),
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      const port = await listeningPort(child);
      const trust = await loadTrust(join(dir, "ca.pem"));
      const variants = [
        { protocol: "pqrpc/1", transport: "tcp", cases: ["empty_unary", "large_unary", "ping_pong"] },
        { protocol: "h2", transport: "websocket", cases: ["server_streaming", "custom_metadata"] },
      ] as const;
      for (const v of variants) {
        const channel = await connect(`127.0.0.1:${port}`, {
          trust,
          serverName: SERVER_NAME,
          protocol: v.protocol,
          transport: v.transport,
        });
        try {
          assert.equal(channel.info?.alpn, v.protocol);
          const clients = createInteropClients(channel);
          for (const name of v.cases) {
            const result = await runInteropCase(name, clients);
            assert.ok(result.ok, `${v.protocol}/${v.transport} ${name}: ${result.error}`);
          }
        } finally {
          await channel.close();
        }
      }
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const [code, signal] = await exited;
      assert.deepEqual({ code, signal }, { code: 0, signal: null });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });

  it("refuses a command line without a service choice or with a bad port (usage error, exit 2)", async () => {
    let stderr = "";
    const io = { stdout: () => {}, stderr: (t: string) => (stderr += t) };
    assert.equal(await main(["serve", "--port", "0"], io), 2);
    assert.match(stderr, /choose one of --demo, --interop or --proto with --impl/);
    stderr = "";
    assert.equal(await main(["serve", "--interop", "--port", "70000", "--cert", "a", "--key", "b"], io), 2);
    assert.match(stderr, /--port must be an integer from 0 to 65535/);
  });
});
