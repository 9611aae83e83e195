/**
 * `pqrpc health ADDR [SERVICE]`: grpc-health-probe's exit codes for every
 * outcome (serving, not serving, unknown service, no health service,
 * connection refused, TLS failure, connect timeout, RPC timeout, bad
 * arguments), in-process and spawned as a probe runs it.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { createServer as createTcpServer, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { loadWasmProvider } from "../crypto/index.ts";
import { Health } from "../gen/grpc/health/v1/health_pb.ts";
import { Greeter } from "../gen/helloworld/greeter_pb.ts";
import { loadIdentity } from "../pki/load.ts";
import { createServer, type Server } from "../server/server.ts";
import { type CertDir, makeCerts, runInProcess, runSpawned } from "./cli-test-helpers.ts";
import { HEALTH_EXIT } from "./health.ts";
import { startTestRpcServer, type TestRpcServer, testGreeter } from "./test-rpc-server.ts";

/** Generous bounds for the cases that must not time out on a loaded machine. */
const PATIENT = ["--timeout", "30000"];
/** The bound for the cases that must time out: the peer never answers, so any value is reached. */
const SHORT_TIMEOUT_MS = "300";

describe("pqrpc health", () => {
  let certs: CertDir;
  let otherCa: CertDir;
  let server: Server;
  let noHealth: TestRpcServer;
  let hanging: Server;
  let silent: { port: number; close(): Promise<void> };
  let addr: string;

  before(async () => {
    await loadWasmProvider();
    certs = await makeCerts("ml-dsa-65", "pqrpc-health-");
    otherCa = await makeCerts("ml-dsa-44", "pqrpc-health-other-");
    const identity = await loadIdentity(certs.chain, certs.key);
    server = createServer({ identity, health: true }).service(Greeter, testGreeter);
    addr = `localhost:${(await server.listen({ port: 0, host: "127.0.0.1" })).port}`;
    noHealth = await startTestRpcServer({ chain: certs.chain, key: certs.key });
    // A health service that never answers: the RPC timeout must end the probe.
    hanging = createServer({ identity }).service(Health, {
      check: (_req, ctx) => new Promise((_, reject) => ctx.signal.addEventListener("abort", reject)),
    });
    await hanging.listen({ port: 0, host: "127.0.0.1" });
    // A TCP peer that accepts and never speaks: the connect (TLS) timeout must end the probe.
    const sockets = new Set<Socket>();
    const tcp = createTcpServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
    });
    tcp.listen(0, "127.0.0.1");
    await once(tcp, "listening");
    silent = {
      port: (tcp.address() as { port: number }).port,
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
      },
    };
  });
  after(async () => {
    await server?.close();
    await hanging?.close();
    await noHealth?.close();
    await silent?.close();
    for (const d of [certs, otherCa]) if (d) await rm(d.dir, { recursive: true, force: true });
  });

  const health = (...args: string[]) => runInProcess(["health", ...args]);

  it("SERVING: exit 0 and the status on stdout, for the server and for a service", async () => {
    const overall = await health(addr, "--ca", certs.ca, ...PATIENT);
    assert.equal(overall.code, HEALTH_EXIT.SERVING, overall.stderr);
    assert.equal(overall.stdout, "status: SERVING\n");
    assert.equal(overall.stderr, "");
    for (const protocol of ["pqrpc/1", "h2"]) {
      const r = await health(
        addr,
        "helloworld.Greeter",
        "--ca",
        certs.ca,
        "--protocol",
        protocol,
        ...PATIENT,
      );
      assert.equal(r.code, 0, `${protocol}: ${r.stderr}`);
    }
  });

  it("-v prints the negotiated security parameters to stderr", async () => {
    const r = await health(addr, "--ca", certs.ca, "-v", ...PATIENT);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /key exchange X25519MLKEM768/);
    assert.match(r.stderr, /time elapsed: connect [\d.]+ ms, rpc [\d.]+ ms/);
  });

  it("NOT_SERVING: exit 4, and back to 0 when the service recovers", async () => {
    server.health!.setStatus("helloworld.Greeter", "NOT_SERVING");
    try {
      const r = await health(addr, "helloworld.Greeter", "--ca", certs.ca, ...PATIENT);
      assert.equal(r.code, HEALTH_EXIT.UNHEALTHY);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, 'pqrpc: service "helloworld.Greeter" unhealthy (responded with NOT_SERVING)\n');
    } finally {
      server.health!.setStatus("helloworld.Greeter", "SERVING");
    }
    assert.equal((await health(addr, "helloworld.Greeter", "--ca", certs.ca, ...PATIENT)).code, 0);
  });

  it("an unknown service and a server without the health service: exit 3 (RPC failure)", async () => {
    const unknown = await health(addr, "no.Such", "--ca", certs.ca, ...PATIENT);
    assert.equal(unknown.code, HEALTH_EXIT.RPC_FAILURE);
    assert.match(
      unknown.stderr,
      /^pqrpc: unknown service "no\.Such": the server has no health status for it \(NOT_FOUND\)\n$/,
    );
    const none = await health(`localhost:${noHealth.port}`, "--ca", certs.ca, ...PATIENT);
    assert.equal(none.code, HEALTH_EXIT.RPC_FAILURE);
    assert.match(none.stderr, /does not implement the gRPC health protocol \(grpc\.health\.v1\.Health\)/);
  });

  it("an RPC that does not answer in time: exit 3 with the timeout named", async () => {
    const r = await health(
      `localhost:${hanging.address!.port}`,
      "--ca",
      certs.ca,
      "--connect-timeout",
      "30000",
      "--rpc-timeout",
      SHORT_TIMEOUT_MS,
    );
    assert.equal(r.code, HEALTH_EXIT.RPC_FAILURE);
    assert.equal(r.stderr, `pqrpc: timeout: health rpc did not complete within ${SHORT_TIMEOUT_MS} ms\n`);
  });

  it("connection failures: refused, untrusted certificate, handshake timeout: exit 2", async () => {
    const refused = await health("127.0.0.1:1", "--ca", certs.ca, ...PATIENT);
    assert.equal(refused.code, HEALTH_EXIT.CONNECTION_FAILURE);
    assert.match(refused.stderr, /connection refused/);
    const untrusted = await health(addr, "--ca", otherCa.ca, ...PATIENT);
    assert.equal(untrusted.code, HEALTH_EXIT.CONNECTION_FAILURE);
    assert.match(untrusted.stderr, /server certificate not trusted \(unknown CA\)/);
    const silentPeer = await health(
      `127.0.0.1:${silent.port}`,
      "--insecure",
      "--connect-timeout",
      SHORT_TIMEOUT_MS,
    );
    assert.equal(silentPeer.code, HEALTH_EXIT.CONNECTION_FAILURE, silentPeer.stderr);
    assert.match(silentPeer.stderr, /timed out/);
  });

  it("invalid arguments: exit 1 (grpc-health-probe's code, not pqrpc's usage code 2)", async () => {
    const cases = [
      [[], /usage: pqrpc health ADDR/],
      [[addr, "a", "b", "--ca", certs.ca], /usage: pqrpc health ADDR/],
      [[addr], /no --ca FILE given/],
      [[addr, "--ca", "/no/such/ca.pem"], /--ca \/no\/such\/ca\.pem: no such file/],
      [[addr, "--ca", certs.ca, "--protocol", "h3"], /unknown --protocol "h3"/],
      [[addr, "--ca", certs.ca, "--rpc-timeout", "0"], /--rpc-timeout must be an integer/],
      [[addr, "--ca", certs.ca, "--bogus"], /bogus/],
    ] as const;
    for (const [args, message] of cases) {
      const r = await health(...args);
      assert.equal(r.code, HEALTH_EXIT.INVALID_ARGUMENTS, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it("spawned as a probe runs it: the process exit code is the contract", async () => {
    server.health!.setStatus("", "NOT_SERVING");
    try {
      const [down, refused] = await Promise.all([
        runSpawned(["health", addr, "--ca", certs.ca, ...PATIENT]),
        runSpawned(["health", "127.0.0.1:1", "--ca", certs.ca, ...PATIENT]),
      ]);
      assert.equal(down.code, HEALTH_EXIT.UNHEALTHY, down.stderr);
      assert.equal(refused.code, HEALTH_EXIT.CONNECTION_FAILURE, refused.stderr);
    } finally {
      server.health!.setStatus("", "SERVING");
    }
    const up = await runSpawned(["health", addr, "--ca", certs.ca, ...PATIENT]);
    assert.equal(up.code, HEALTH_EXIT.SERVING, up.stderr);
    assert.equal(up.stdout, "status: SERVING\n");
  });
});
