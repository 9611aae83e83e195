/**
 * bench:rpc client worker: @connectrpc/connect-node's gRPC transport (the
 * gRPC protocol over plaintext HTTP/2, one session) with Connect's typed
 * client from the generated protobuf-es descriptor.
 *   node --import tsx bench/rpc/connect-client.ts '{"port":N}'
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { TestService } from "../../src/gen/grpc/testing/test_pb.ts";
import type { LoadTarget } from "./load.ts";
import {
  type ClientConfig,
  HOST,
  STREAM_MESSAGE_BYTES,
  STREAM_MESSAGES_PER_CALL,
  UNARY_PAYLOAD_BYTES,
} from "./messages.ts";
import { fail, readConfig, serveCommands } from "./worker-io.ts";

async function main(): Promise<void> {
  const cfg = readConfig<ClientConfig>();
  if (cfg.ca !== undefined) throw new Error("connect client: the bench runs Connect on plaintext h2c only");
  const baseUrl = `http://${HOST}:${cfg.port}`;
  const client = createClient(TestService, createGrpcTransport({ baseUrl, acceptCompression: [] }));
  const unaryRequest = {
    responseSize: UNARY_PAYLOAD_BYTES,
    payload: { body: new Uint8Array(UNARY_PAYLOAD_BYTES) },
  };
  const streamRequest = {
    responseParameters: Array.from({ length: STREAM_MESSAGES_PER_CALL }, () => ({
      size: STREAM_MESSAGE_BYTES,
    })),
  };
  // Connect opens its HTTP/2 session lazily: one call now, so the measured runs start connected.
  await client.unaryCall(unaryRequest);
  const target: LoadTarget = {
    async unary() {
      const res = await client.unaryCall(unaryRequest);
      return res.payload?.body.length ?? 0;
    },
    async stream(signal, onMessage) {
      for await (const res of client.streamingOutputCall(streamRequest, { signal })) {
        onMessage(res.payload?.body.length ?? 0);
      }
    },
    async openConnection() {
      // A session manager of its own: one HTTP/2 connection, which close() can end.
      const sessionManager = new Http2SessionManager(baseUrl);
      if ((await sessionManager.connect()) === "error")
        throw new Error(`connect-node: connecting ${baseUrl} failed`);
      const extra = createClient(
        TestService,
        createGrpcTransport({ baseUrl, acceptCompression: [], sessionManager }),
      );
      return {
        async unary() {
          const res = await extra.unaryCall(unaryRequest);
          return res.payload?.body.length ?? 0;
        },
        async close() {
          sessionManager.abort();
        },
      };
    },
    async close() {},
  };
  serveCommands(target, { protocol: "grpc", tls: "none" });
}

main().catch(fail);
