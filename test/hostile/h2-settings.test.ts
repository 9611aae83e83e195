/**
 * The h2 limits as a peer sees them (in process): the SETTINGS and the
 * connection window the server advertises come from ServerOptions.http2,
 * and the receive budget fails a message past the connection's share with
 * RESOURCE_EXHAUSTED while smaller ones pass, handing every byte back.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "../../src/client/channel.ts";
import { TestService } from "../../src/gen/grpc/testing/test_pb.ts";
import { createClient } from "../../src/node/rpc-defaults.ts";
import { H2_NO_ERROR } from "../../src/protocol/grpc/http2-errors.ts";
import { http2ServerOptions } from "../../src/protocol/grpc/http2-server-settings.ts";
import { Code } from "../../src/rpc/code.ts";
import { DEFAULT_MAX_METADATA_BYTES } from "../../src/rpc/limits.ts";
import { eventually, failureCode, SERVER_NAME, startTestServer, testPki } from "../rpc/helpers.ts";
import { FLAG, FRAME, frame, grpcRequestHeaders, http2Client, MIB, rawH2 } from "./harness.ts";

describe("h2 limits seen by a peer", () => {
  it("SETTINGS and the connection window come from ServerOptions.http2", async () => {
    const { trust } = await testPki();
    const limits = {
      maxConcurrentStreams: 7,
      streamWindowBytes: 123_456,
      connectionWindowBytes: 2 * MIB,
      maxHeaderListBytes: 20_000,
    };
    const { server, port } = await startTestServer({ http2: limits });
    const session = await http2Client({ port, trust });
    try {
      const s = session.remoteSettings;
      assert.equal(s.maxConcurrentStreams, 7);
      assert.equal(s.initialWindowSize, 123_456);
      assert.equal(s.maxHeaderListSize, 20_000);
      assert.equal(session.state.remoteWindowSize, 2 * MIB);
    } finally {
      session.destroy();
      await server.close({ graceMs: 0 });
    }
  });

  it("defaults: 100 streams, 64 KiB stream windows, a header list of twice the metadata limit", () => {
    const o = http2ServerOptions();
    assert.equal(o.settings?.maxConcurrentStreams, 100);
    assert.equal(o.settings?.initialWindowSize, 64 * 1024);
    assert.equal(o.settings?.maxHeaderListSize, 2 * DEFAULT_MAX_METADATA_BYTES);
    assert.equal(o.maxSessionMemory, 10);
  });

  it("the receive budget: past the connection's share RESOURCE_EXHAUSTED, within it OK, every byte handed back", async () => {
    const { trust } = await testPki();
    const share = 4096;
    const { server, address } = await startTestServer({ receiveBudget: { maxConnectionBytes: share } });
    const channel = await connect(address, {
      trust,
      serverName: SERVER_NAME,
      protocol: "h2",
      telemetry: false,
    });
    try {
      const client = createClient(TestService, channel);
      const call = (bytes: number) => client.unaryCall({ payload: { body: new Uint8Array(bytes) } });
      assert.equal(await failureCode(call(2 * share)), Code.RESOURCE_EXHAUSTED);
      await call(share / 4);
      await Promise.all([call(share / 4), call(share / 4)]);
      await eventually(() => server.stats.bufferedRequestBytes === 0, "budget handed back");
    } finally {
      await channel.close();
      await server.close({ graceMs: 0 });
    }
  });

  it("the idle timeout counts only connections without open streams (ordered by events, not time)", async () => {
    const { trust } = await testPki();
    const { server, port } = await startTestServer({ http2: { idleTimeoutMs: 300 } });
    try {
      const busy = await rawH2({ port, trust });
      let busyGoaway: number | undefined;
      void busy.goaway.then((code) => {
        busyGoaway = code;
      });
      // An open client-streaming call: HEADERS, no END_STREAM.
      busy.write(
        frame(
          FRAME.HEADERS,
          FLAG.END_HEADERS,
          1,
          grpcRequestHeaders("/grpc.testing.TestService/StreamingInputCall"),
        ),
      );
      await eventually(() => server.stats.calls === 1, "the call is running");
      // A connection opened later, with no stream: its idle timer started after the busy one's would have.
      const idle = await rawH2({ port, trust });
      assert.equal(await idle.goaway, H2_NO_ERROR);
      assert.equal(busyGoaway, undefined, "the connection with an open stream is not idle");
      // The call ends (empty DATA with END_STREAM); with no stream left, the busy connection goes idle too.
      busy.write(frame(FRAME.DATA, FLAG.END_STREAM, 1));
      assert.equal(await busy.goaway, H2_NO_ERROR);
    } finally {
      await server.close({ graceMs: 0 });
    }
  });
});
