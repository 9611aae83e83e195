/**
 * The CLI's error lines name the real cause (issue 7, part 3), spawned as a
 * user runs them: a missing file names its flag, a bad PQRPC_CRYPTO_PROVIDERS
 * names itself (not --ca), a plain-HTTP peer is "not TLS", -v prints status
 * names, an unknown CA of the same name as the trusted one says so with key
 * identifiers, and `serve` warns when its policy refuses its own chain.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { loadWasmProvider } from "../crypto/index.ts";
import { type CertDir, makeCerts, runSpawned } from "./cli-test-helpers.ts";
import { runServe } from "./serve.ts";
import { startTestRpcServer, type TestRpcServer } from "./test-rpc-server.ts";

const oneLine = (r: { stderr: string }) => assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);

describe("CLI error lines", () => {
  let certs: CertDir;
  let sameNameCa: CertDir;
  let ecdsa: CertDir;
  let server: TestRpcServer;
  let http: HttpServer;
  let addr: string;

  before(async () => {
    await loadWasmProvider();
    // Two `certs init` runs of one algorithm: two different CAs with the same name.
    [certs, sameNameCa, ecdsa] = await Promise.all([
      makeCerts("ml-dsa-65"),
      makeCerts("ml-dsa-65"),
      makeCerts("ecdsa-p256-sha256"),
    ]);
    server = await startTestRpcServer({ chain: certs.chain, key: certs.key });
    addr = `127.0.0.1:${server.port}`;
    http = createHttpServer((_req, res) => res.end("plain http"));
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
  });
  after(async () => {
    await server?.close();
    http?.close();
    for (const d of [certs, sameNameCa, ecdsa]) if (d) await rm(d.dir, { recursive: true, force: true });
  });

  it("serve: a missing --cert or --key file names its flag", async () => {
    const cert = await runSpawned(["serve", "--demo", "--cert", "/nonexistent/a.pem", "--key", certs.key]);
    assert.equal(cert.code, 1);
    oneLine(cert);
    assert.equal(cert.stderr, "pqrpc: --cert /nonexistent/a.pem: no such file\n");
    const key = await runSpawned(["serve", "--demo", "--cert", certs.chain, "--key", "/nonexistent/k.pem"]);
    assert.equal(key.code, 1);
    assert.equal(key.stderr, "pqrpc: --key /nonexistent/k.pem: no such file\n");
  });

  it("a bad PQRPC_CRYPTO_PROVIDERS is reported as itself, not blamed on --ca", async () => {
    const r = await runSpawned(
      ["call", addr, "helloworld.Greeter/SayHello", "-d", '{"name":"x"}', "--ca", certs.ca],
      undefined,
      { PQRPC_CRYPTO_PROVIDERS: "bogus" },
    );
    assert.equal(r.code, 2, r.stderr);
    oneLine(r);
    assert.match(r.stderr, /^pqrpc: PQRPC_CRYPTO_PROVIDERS: unknown provider "bogus" \(known providers: /);
    assert.doesNotMatch(r.stderr, /--ca/);
  });

  it("a peer that answers in plain HTTP is reported as not TLS", async () => {
    const port = (http.address() as AddressInfo).port;
    const r = await runSpawned([
      "call",
      `127.0.0.1:${port}`,
      "helloworld.Greeter/SayHello",
      "--ca",
      certs.ca,
    ]);
    assert.equal(r.code, 1, r.stderr);
    oneLine(r);
    assert.match(r.stderr, /failed: not TLS: the peer sent plain text "HTTP\/" where a TLS record belongs/);
  });

  it("-v prints the status by name", async () => {
    const r = await runSpawned([
      "call",
      addr,
      "grpc.testing.TestService/UnimplementedCall",
      "--ca",
      certs.ca,
      "-v",
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^\* status UNIMPLEMENTED \(12\) after [\d.]+ ms$/m);
    const ok = await runSpawned([
      "call",
      addr,
      "helloworld.Greeter/SayHello",
      "-d",
      "{}",
      "--ca",
      certs.ca,
      "-v",
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /^\* status OK after [\d.]+ ms$/m);
  });

  it("an unknown CA with the trusted CA's name shows both key identifiers", async () => {
    const r = await runSpawned(["call", addr, "helloworld.Greeter/SayHello", "--ca", sameNameCa.ca]);
    assert.equal(r.code, 1);
    oneLine(r);
    assert.match(r.stderr, /server certificate not trusted \(unknown CA\)/);
    assert.match(
      r.stderr,
      /signed by the CA key ([0-9a-f]{2}:){8}\.\.\., but the trusted CA of that name has key ([0-9a-f]{2}:){8}\.\.\. \(a different CA with the same name\)/,
    );
    const keys = [...r.stderr.matchAll(/key ((?:[0-9a-f]{2}:){8})/g)].map((m) => m[1]);
    assert.equal(keys.length, 2);
    assert.notEqual(keys[0], keys[1]);
  });

  it("serve warns at start when its policy refuses its own chain (ECDSA under hybrid) or no chain is post-quantum, and not otherwise", async () => {
    const banner = async (args: string[]) => {
      let stderr = "";
      let stdout = "";
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let listening!: () => void;
      const up = new Promise<void>((r) => (listening = r));
      const done = runServe(
        [...args, "--port", "0", "--host", "127.0.0.1"],
        {
          stdout: (t) => {
            stdout += t;
            if (stdout.includes("listening on")) listening();
          },
          stderr: (t) => (stderr += t),
        },
        () => released,
      );
      await Promise.race([up, done]);
      release();
      await done;
      return stderr;
    };
    const ec = ["--demo", "--cert", ecdsa.chain, "--key", ecdsa.key];
    const warned = await banner(ec);
    assert.match(
      warned,
      /^pqrpc serve: warning: policy hybrid refuses this server's own certificate chain: the leaf key is ecdsa-p256-sha256 \(classical\)/,
    );
    // Served under compat or pq-kex, but pqrpc's own clients at their default policy would refuse it.
    assert.match(
      await banner([...ec, "--policy", "compat"]),
      /^pqrpc serve: warning: no certificate chain is post-quantum: clients at the default policy hybrid will refuse/,
    );
    const pq = ["--cert", certs.chain, "--key", certs.key];
    assert.equal(await banner(["--demo", ...pq]), "");
    // The migration set-up: ML-DSA-65 for pqrpc clients, ECDSA for stock ones.
    assert.equal(await banner([...ec, ...pq, "--policy", "pq-kex"]), "");
  });
});
