/**
 * server.close(): the port stops accepting, sessions get GOAWAY (pqrpc/1 and
 * h2), a call in flight finishes, a new call gets UNAVAILABLE; a call longer
 * than the grace period is cut off; stats end at zero.
 */

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { connect } from "../../src/client/index.ts";
import { TestService } from "../../src/gen/grpc/testing/test_pb.ts";
import type { TrustStore } from "../../src/pki/trust-store.ts";
import { collect } from "../../src/rpc/call-test-helpers.ts";
import { createClient } from "../../src/rpc/client.ts";
import { Code } from "../../src/rpc/code.ts";
import { eventually, failureCode, SERVER_NAME, startTestServer, testPki } from "./helpers.ts";

/** A grace period far longer than any call here, so that finishing before it is meaningful. */
const LONG_GRACE_MS = 30_000;

/** How long the in-flight call takes, µs (one response after this delay). */
const IN_FLIGHT_US = 300_000;

describe("graceful close", () => {
  let trust: TrustStore;
  before(async () => {
    ({ trust } = await testPki());
  });

  for (const protocol of ["pqrpc/1", "h2"] as const) {
    it(`${protocol}: the in-flight call completes, a new call gets UNAVAILABLE`, async () => {
      const { server, address } = await startTestServer();
      const channel = await connect(address, { trust, serverName: SERVER_NAME, protocol });
      try {
        const client = createClient(TestService, channel);
        await client.emptyCall({});
        const inFlight = collect(
          client.streamingOutputCall({ responseParameters: [{ size: 7, intervalUs: IN_FLIGHT_US }] }),
        );
        await eventually(() => server.stats.calls === 1, "the call to reach the handler");
        const started = Date.now();
        const closing = server.close({ graceMs: LONG_GRACE_MS });
        // The GOAWAY takes a moment to arrive; until then a call may still ride the old session's race.
        await eventually(() => server.stats.sessions === 1 && channel.stats.connects === 1, "closing");
        assert.equal(await failureCode(client.emptyCall({})), Code.UNAVAILABLE);
        const responses = await inFlight;
        assert.deepEqual(
          responses.map((r) => r.payload?.body.length),
          [7],
        );
        await closing;
        assert.ok(
          Date.now() - started < LONG_GRACE_MS - 5_000,
          "close finished when the call did, not at the grace limit",
        );
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
      } finally {
        await channel.close();
        await server.close();
      }
    });
  }

  it("a call longer than the grace period is cut off with UNAVAILABLE", async () => {
    const { server, address } = await startTestServer();
    const channel = await connect(address, { trust, serverName: SERVER_NAME });
    try {
      const client = createClient(TestService, channel);
      const slow = failureCode(
        collect(client.streamingOutputCall({ responseParameters: [{ size: 1, intervalUs: 5_000_000 }] })),
      );
      await eventually(() => server.stats.calls === 1, "the call to reach the handler");
      const started = Date.now();
      await server.close({ graceMs: 200 });
      const elapsed = Date.now() - started;
      // At the 200 ms grace limit, not when the 5 s call would have ended.
      assert.ok(elapsed >= 190 && elapsed < 4_000, `closed after the grace period (${elapsed} ms)`);
      assert.equal(await slow, Code.UNAVAILABLE);
      assert.equal(server.stats.connections, 0);
      await eventually(() => server.stats.calls === 0, "the aborted handler to return");
    } finally {
      await channel.close();
    }
  });
});
