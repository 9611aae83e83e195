/**
 * Connection loss and reconnection: calls in flight fail with UNAVAILABLE
 * (never hang), the next call reconnects and resumes the TLS session;
 * a server that is gone gives UNAVAILABLE at once, then backoff.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect } from "../../src/client/index.ts";
import { TestService } from "../../src/gen/grpc/testing/test_pb.ts";
import type { TrustStore } from "../../src/pki/trust-store.ts";
import { createClient } from "../../src/rpc/client.ts";
import { Code } from "../../src/rpc/code.ts";
import type { Server } from "../../src/server/index.ts";
import { eventually, failureCode, SERVER_NAME, startRelay, startTestServer, testPki } from "./helpers.ts";

/** A server-streaming call whose first response comes after this long, µs: "in flight" for the test. */
const SLOW_RESPONSE_US = 5_000_000;

describe("reconnect after connection loss", () => {
  let server: Server;
  let port: number;
  let trust: TrustStore;

  before(async () => {
    ({ trust } = await testPki());
    ({ server, port } = await startTestServer());
  });
  after(async () => {
    await server?.close({ graceMs: 500 });
  });

  for (const protocol of ["pqrpc/1", "h2"] as const) {
    for (const transport of ["tcp", "websocket"] as const) {
      it(`${protocol} over ${transport}: in-flight calls get UNAVAILABLE, the next call resumes the session`, async () => {
        const relay = await startRelay(port);
        const channel = await connect(relay.address, { trust, serverName: SERVER_NAME, protocol, transport });
        try {
          const client = createClient(TestService, channel);
          await client.emptyCall({});
          assert.equal(channel.info?.resumed, false);

          const inFlight = (async () => {
            for await (const _ of client.streamingOutputCall({
              responseParameters: [{ size: 1, intervalUs: SLOW_RESPONSE_US }],
            })) {
              // the first response never comes before the drop
            }
          })();
          await eventually(() => server.stats.calls === 1, "the slow call to reach the handler");
          const started = Date.now();
          relay.drop();
          assert.equal(await failureCode(inFlight), Code.UNAVAILABLE);
          // At the drop, not when the slow response would have come (SLOW_RESPONSE_US).
          assert.ok(
            Date.now() - started < SLOW_RESPONSE_US / 1000 - 1_000,
            "the in-flight call failed at the drop",
          );

          const reply = await client.unaryCall({ responseSize: 10 });
          assert.equal(reply.payload?.body.length, 10);
          assert.equal(channel.stats.connects, 2);
          assert.equal(channel.info?.resumed, true, "the second connection resumed the first's session");
          assert.equal(channel.stats.resumed, 1);
        } finally {
          await channel.close();
          await relay.close();
        }
        await eventually(() => server.stats.connections === 0 && server.stats.calls === 0, "server clean");
      });
    }
  }

  it("a server that is gone: UNAVAILABLE at once, then backoff; never a hang", async () => {
    const gone = await startTestServer();
    const channel = await connect(gone.address, {
      trust,
      serverName: SERVER_NAME,
      reconnect: { initialMs: 60_000 },
    });
    try {
      const client = createClient(TestService, channel);
      await client.emptyCall({});
      await gone.server.close({ graceMs: 100 });
      // The first call after the loss tries to reconnect: refused.
      assert.equal(await failureCode(client.emptyCall({})), Code.UNAVAILABLE);
      // The next one is inside the backoff window: refused without an attempt.
      const error = await client.emptyCall({}).catch((e: Error) => e);
      assert.match(String(error), /next connection attempt in \d+ ms/);
      assert.equal(channel.stats.failedAttempts, 1, "no new attempt inside the backoff window");
    } finally {
      await channel.close();
    }
  });

  it("connect() rejects with UNAVAILABLE when nothing listens", async () => {
    const gone = await startTestServer();
    await gone.server.close({ graceMs: 0 });
    const error = await connect(gone.address, { trust, serverName: SERVER_NAME }).catch((e: Error) => e);
    assert.equal((error as { code?: unknown }).code, Code.UNAVAILABLE);
    assert.match(String(error), /connect to 127\.0\.0\.1:\d+ failed/);
  });
});
