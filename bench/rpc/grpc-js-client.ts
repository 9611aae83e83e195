/**
 * bench:rpc client worker: stock @grpc/grpc-js (one channel, so one HTTP/2
 * connection), plaintext or TLS trusting the CA in `ca`. On Node 24 its TLS
 * is OpenSSL 3.5's, whose default groups put X25519MLKEM768 first; the
 * worker reports the group that a plain node:tls probe with the same
 * defaults negotiates with the server.
 *   node --import tsx bench/rpc/grpc-js-client.ts '{"port":N,"ca":"ca.pem"}'
 */
import { readFileSync } from "node:fs";
import tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { type GrpcJsPayload, loadTestService } from "./grpc-js-proto.ts";
import type { LoadTarget } from "./load.ts";
import {
  type ClientConfig,
  HOST,
  SERVER_NAME,
  STREAM_MESSAGE_BYTES,
  STREAM_MESSAGES_PER_CALL,
  UNARY_PAYLOAD_BYTES,
} from "./messages.ts";
import { fail, readConfig, serveCommands } from "./worker-io.ts";

/** The channel must be READY (connection and handshake done) within this long. */
const CONNECT_TIMEOUT_MS = 10_000;

interface Response {
  readonly payload: GrpcJsPayload | null;
}

type UnaryFn = (
  req: object,
  cb: (err: grpc.ServiceError | null, res?: Response) => void,
) => grpc.ClientUnaryCall;
type StreamFn = (req: object) => grpc.ClientReadableStream<Response>;

/** What OpenSSL negotiates with the server under node:tls defaults (grpc-js passes none of its own). */
async function probeTls(port: number, ca: Buffer): Promise<Record<string, string>> {
  const socket = tls.connect({ host: HOST, port, ca, servername: SERVER_NAME, ALPNProtocols: ["h2"] });
  try {
    await new Promise<void>((ok, no) => {
      socket.once("secureConnect", ok);
      socket.once("error", no);
    });
    const key = socket.getEphemeralKeyInfo() as { name?: string; type?: string } | null;
    return {
      alpn: String(socket.alpnProtocol),
      group: key?.name ?? key?.type ?? "",
      cipher: socket.getCipher().standardName,
      openssl: process.versions.openssl,
    };
  } finally {
    socket.destroy();
  }
}

async function main(): Promise<void> {
  const cfg = readConfig<ClientConfig>();
  const ca = cfg.ca === undefined ? undefined : readFileSync(cfg.ca);
  const credentials = ca === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(ca);
  const options: grpc.ChannelOptions =
    ca === undefined
      ? {}
      : { "grpc.ssl_target_name_override": SERVER_NAME, "grpc.default_authority": SERVER_NAME };
  const TestService = loadTestService();
  const open = async (channelOptions: grpc.ChannelOptions) => {
    const c = new TestService(`${HOST}:${cfg.port}`, credentials, channelOptions);
    await new Promise<void>((ok, no) =>
      c.waitForReady(Date.now() + CONNECT_TIMEOUT_MS, (e) => (e ? no(e) : ok())),
    );
    return c;
  };
  const client = await open(options);
  const methods = client as unknown as { unaryCall: UnaryFn; streamingOutputCall: StreamFn };
  const unaryRequest = {
    responseSize: UNARY_PAYLOAD_BYTES,
    payload: { body: Buffer.alloc(UNARY_PAYLOAD_BYTES) },
  };
  const streamRequest = {
    responseParameters: Array.from({ length: STREAM_MESSAGES_PER_CALL }, () => ({
      size: STREAM_MESSAGE_BYTES,
    })),
  };
  const target: LoadTarget = {
    unary: () =>
      new Promise((ok, no) => {
        methods.unaryCall(unaryRequest, (err, res) => (err ? no(err) : ok(res?.payload?.body.length ?? 0)));
      }),
    async stream(signal, onMessage) {
      const call = methods.streamingOutputCall(streamRequest);
      const cancel = () => call.cancel();
      signal.addEventListener("abort", cancel, { once: true });
      try {
        for await (const res of call as AsyncIterable<Response>) onMessage(res.payload?.body.length ?? 0);
      } finally {
        signal.removeEventListener("abort", cancel);
      }
    },
    async openConnection() {
      // grpc-js shares subchannels (so TCP connections) among channels with equal target, credentials
      // and options through its global pool; a local pool per channel gives each its own connection.
      const extra = await open({ ...options, "grpc.use_local_subchannel_pool": 1 });
      const extraMethods = extra as unknown as { unaryCall: UnaryFn };
      return {
        unary: () =>
          new Promise((ok, no) => {
            extraMethods.unaryCall(unaryRequest, (err, res) =>
              err ? no(err) : ok(res?.payload?.body.length ?? 0),
            );
          }),
        async close() {
          extra.close();
        },
      };
    },
    async close() {
      client.close();
    },
  };
  const info = ca === undefined ? { tls: "none" } : await probeTls(cfg.port, ca);
  serveCommands(target, info);
}

main().catch(fail);
