/** Shared set-up of the server/channel tests: a development PKI, a TestService server, polling. */
import { createServer as createNetServer, connect as netConnect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { loadWasmProvider } from "../../src/crypto/index.ts";
import { TestService } from "../../src/gen/grpc/testing/test_pb.ts";
import { createTestServiceHandlers } from "../../src/interop/test-service.ts";
import { createDevelopmentPki, type DevelopmentPki } from "../../src/pki/development-pki.ts";
import { TrustStore } from "../../src/pki/trust-store.ts";
import type { Code } from "../../src/rpc/code.ts";
import { RpcError } from "../../src/rpc/rpc-error.ts";
import { createServer, type Server, type ServerOptions } from "../../src/server/index.ts";

/** The name in the development certificate's SANs. */
export const SERVER_NAME = "localhost";

let pki: DevelopmentPki | undefined;

export async function testPki(): Promise<{ pki: DevelopmentPki; trust: TrustStore }> {
  await loadWasmProvider();
  pki ??= createDevelopmentPki({ algorithm: "ml-dsa-65" });
  return { pki, trust: new TrustStore({ roots: pki.ca.certificate }) };
}

/** A listening server with the interop TestService on 127.0.0.1 and a free port. */
export async function startTestServer(
  options: Partial<ServerOptions> = {},
): Promise<{ server: Server; address: string; port: number }> {
  const { pki } = await testPki();
  const server = createServer({ identity: pki.server.certifiedKey, ...options }).service(
    TestService,
    createTestServiceHandlers(),
  );
  const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
  return { server, address: `127.0.0.1:${port}`, port };
}

/** Polls `condition` every few ms until true; fails after `timeoutMs`. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

/**
 * A TCP relay in front of a server: the test's "network", which it can cut
 * (both sides see the connection drop, as when a server or a link fails).
 */
export async function startRelay(
  targetPort: number,
): Promise<{ address: string; drop(): void; close(): Promise<void> }> {
  const pairs = new Set<[Socket, Socket]>();
  const relay = createNetServer((inbound) => {
    const outbound = netConnect({ host: "127.0.0.1", port: targetPort });
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    for (const s of pair) {
      s.on("error", () => {});
      s.on("close", () => {
        pairs.delete(pair);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const { port } = relay.address() as { port: number };
  const drop = () => {
    for (const pair of pairs) for (const s of pair) s.destroy();
  };
  return {
    address: `127.0.0.1:${port}`,
    drop,
    close: () => {
      drop();
      return new Promise((resolve) => relay.close(() => resolve()));
    },
  };
}

/** Resolves with the RpcError code of a call that must fail. */
export async function failureCode(call: Promise<unknown>): Promise<Code> {
  try {
    await call;
  } catch (e) {
    if (e instanceof RpcError) return e.code;
    throw new Error(`expected an RpcError, got ${String(e)}`);
  }
  throw new Error("expected the call to fail");
}
