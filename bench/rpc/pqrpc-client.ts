/**
 * bench:rpc client worker: the pqrpc typed client (createClient) on a
 * connect() channel (one PQ TLS connection over TCP), speaking pqrpc/1 or
 * gRPC over h2, trusting the dev CA in `ca`; pqrpc from the compiled dist/
 * (the public entry's connect and createClient, as a user has them).
 *   node --import tsx bench/rpc/pqrpc-client.ts '{"port":N,"ca":"ca.pem","protocol":"pqrpc/1"}'
 */

import type { Channel } from "../../src/client/channel.ts";
import type { TestService as TestServiceDesc } from "../../src/gen/grpc/testing/test_pb.ts";
import type { Client } from "../../src/rpc/service-types.ts";
import { assertDistFresh, importDist, importDistModule } from "../pqrpc-dist.ts";
import type { LoadTarget, UnaryConnection } from "./load.ts";
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

const unaryRequest = {
  responseSize: UNARY_PAYLOAD_BYTES,
  payload: { body: new Uint8Array(UNARY_PAYLOAD_BYTES) },
};

/**
 * One extra connection of the connections axis. A class, not an object
 * literal per connection: tsx's transpiled source wraps every function it
 * creates in `__name`, which an object literal of methods pays per
 * connection (1,000 of them) and a class once.
 */
class ExtraConnection implements UnaryConnection {
  readonly #client: Client<typeof TestServiceDesc>;
  constructor(readonly channel: Channel) {
    this.#client = createClient(TestService, channel);
  }
  async unary(): Promise<number> {
    const res = await this.#client.unaryCall(unaryRequest);
    return res.payload?.body.length ?? 0;
  }
  close(): Promise<void> {
    return this.channel.close();
  }
}

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
      return new ExtraConnection((await open()).channel);
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
