/**
 * The 14 gRPC interop cases, pqrpc client <-> pqrpc server through the user
 * API (createServer / connect), over pqrpc/1 on TCP, pqrpc/1 on WebSocket
 * and gRPC over HTTP/2 on TCP, all against one server on one port.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect } from "../../src/client/index.ts";
import { createInteropClients, INTEROP_CASE_NAMES, runInteropCase } from "../../src/interop/client-cases.ts";
import type { TrustStore } from "../../src/pki/trust-store.ts";
import type { Server } from "../../src/server/index.ts";
import { eventually, SERVER_NAME, startTestServer, testPki } from "./helpers.ts";

const VARIANTS = [
  { name: "pqrpc/1 over TCP", protocol: "pqrpc/1", transport: "tcp" },
  { name: "pqrpc/1 over WebSocket", protocol: "pqrpc/1", transport: "websocket" },
  { name: "h2 over TCP", protocol: "h2", transport: "tcp" },
  { name: "h2 over WebSocket", protocol: "h2", transport: "websocket" },
] as const;

describe("interop cases through createServer and connect, one port", () => {
  let server: Server;
  let address: string;
  let trust: TrustStore;

  before(async () => {
    ({ trust } = await testPki());
    ({ server, address } = await startTestServer());
  });
  after(async () => {
    await server?.close({ graceMs: 1_000 });
  });

  for (const variant of VARIANTS) {
    it(`${variant.name}: all 14 cases pass`, async () => {
      const channel = await connect(address, {
        trust,
        serverName: SERVER_NAME,
        protocol: variant.protocol,
        transport: variant.transport,
      });
      try {
        assert.equal(channel.info?.alpn, variant.protocol);
        assert.equal(channel.info?.group, "X25519MLKEM768");
        const clients = createInteropClients(channel);
        const failed: string[] = [];
        for (const name of INTEROP_CASE_NAMES) {
          const result = await runInteropCase(name, clients);
          if (!result.ok) failed.push(`${name}: ${result.error}`);
        }
        assert.deepEqual(failed, [], `failed cases:\n${failed.join("\n")}`);
        assert.equal(channel.stats.connects, 1, "all cases on one connection");
      } finally {
        await channel.close();
      }
      await eventually(() => server.stats.connections === 0, "the server's connections to close");
      assert.deepEqual(
        { ...server.stats, rejected: 0, failedHandshakes: 0 },
        {
          connections: 0,
          handshaking: 0,
          sessions: 0,
          calls: 0,
          rejected: 0,
          bufferedRequestBytes: 0,
          failedHandshakes: 0,
        },
      );
    });
  }
});
