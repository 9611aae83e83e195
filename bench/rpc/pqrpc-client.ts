/**
 * bench:rpc client worker: the pqrpc typed client (createClient) on a
 * connect() channel (one PQ TLS connection over TCP), speaking pqrpc/1 or
 * gRPC over h2, trusting the dev CA in `ca`; pqrpc from the compiled dist/
 * (the public entry's connect and createClient, as a user has them).
 *   node --import tsx bench/rpc/pqrpc-client.ts '{"port":N,"ca":"ca.pem","protocol":"pqrpc/1"}'
 */
import { assertDistFresh, importDist, importDistModule } from "../pqrpc-dist.ts";
import type { LoadTarget } from "./load.ts";
import {
  type ClientConfig,
  HOST,
  SERVER_NAME,
  STREAM_MESSAGE_BYTES,
  STREAM_MESSAGES_PER_CALL,
  UNARY_PAYLOAD_BYTES,
} from "./messages.ts";
import { benchTelemetry } from "./telemetry.ts";
import { fail, readConfig, serveCommands } from "./worker-io.ts";

// pqrpc as it ships: the compiled dist/ the orchestrator built (bench/pqrpc-dist.ts), not tsx-transpiled source.
assertDistFresh();
const { connect, createClient, loadTrust, loadWasmProvider } = await importDist(".");
const { TestService } = await importDistModule<typeof import("../../src/gen/grpc/testing/test_pb.ts")>(
  "gen/grpc/testing/test_pb.js",
);

async function main(): Promise<void> {
  const cfg = readConfig<ClientConfig>();
  if (cfg.ca === undefined) throw new Error("pqrpc client: ca is required (pqrpc always runs over TLS)");
  await loadWasmProvider();
  const protocol = cfg.protocol ?? "pqrpc/1";
  const options = {
    trust: await loadTrust(cfg.ca),
    serverName: SERVER_NAME,
    protocol,
    telemetry: await benchTelemetry(cfg.telemetry),
  };
  // Every connect() is a channel of its own: one connection, a full handshake (tickets stay in their channel).
  const open = async () => {
    const channel = await connect(`${HOST}:${cfg.port}`, options);
    const info = await channel.ready();
    if (info.alpn !== protocol) throw new Error(`ALPN ${info.alpn}, expected ${protocol}`);
    return { channel, info };
  };
  const { channel, info } = await open();
  const client = createClient(TestService, channel);
  const unaryRequest = {
    responseSize: UNARY_PAYLOAD_BYTES,
    payload: { body: new Uint8Array(UNARY_PAYLOAD_BYTES) },
  };
  const streamRequest = {
    responseParameters: Array.from({ length: STREAM_MESSAGES_PER_CALL }, () => ({
      size: STREAM_MESSAGE_BYTES,
    })),
  };
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
      const extra = await open();
      const extraClient = createClient(TestService, extra.channel);
      return {
        async unary() {
          const res = await extraClient.unaryCall(unaryRequest);
          return res.payload?.body.length ?? 0;
        },
        close: () => extra.channel.close(),
      };
    },
    close: () => channel.close(),
  };
  serveCommands(target, {
    alpn: info.alpn ?? "",
    group: info.group ?? "",
    cipher: info.cipherSuite,
    signature: info.signatureScheme ?? "",
  });
}

main().catch(fail);
