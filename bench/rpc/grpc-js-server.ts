/**
 * bench:rpc server worker: stock @grpc/grpc-js serving the bench workload of
 * grpc.testing.TestService (UnaryCall, StreamingOutputCall), plaintext or
 * TLS with the PEM chain in `cert`/`key` (on Node 24, OpenSSL 3.5 then
 * negotiates X25519MLKEM768 and signs with the ML-DSA-65 leaf).
 *   node --import tsx bench/rpc/grpc-js-server.ts '{"cert":"server.pem","key":"server.key"}'
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { type GrpcJsPayload, loadTestService } from "./grpc-js-proto.ts";
import { HOST, type ServerConfig } from "./messages.ts";
import { fail, readConfig, serveServer } from "./worker-io.ts";

interface SimpleRequest {
  readonly responseSize: number;
  readonly payload: GrpcJsPayload | null;
}

interface StreamingOutputCallRequest {
  readonly responseParameters: readonly { readonly size: number }[];
}

const handlers: grpc.UntypedServiceImplementation = {
  unaryCall(
    call: grpc.ServerUnaryCall<SimpleRequest, unknown>,
    callback: grpc.sendUnaryData<{ payload: { body: Buffer } }>,
  ) {
    callback(null, { payload: { body: Buffer.alloc(call.request.responseSize) } });
  },
  streamingOutputCall(call: grpc.ServerWritableStream<StreamingOutputCallRequest, unknown>) {
    void (async () => {
      for (const p of call.request.responseParameters) {
        if (call.cancelled) return;
        // Respect the stream's backpressure, as a well-behaved grpc-js server does.
        if (!call.write({ payload: { body: Buffer.alloc(p.size) } })) await once(call, "drain");
      }
      call.end();
    })().catch(() => call.destroy());
  },
};

async function main(): Promise<void> {
  const cfg = readConfig<ServerConfig>();
  const server = new grpc.Server();
  server.addService(loadTestService().service, handlers);
  const credentials =
    cfg.cert === undefined || cfg.key === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(
          null,
          [{ cert_chain: readFileSync(cfg.cert), private_key: readFileSync(cfg.key) }],
          false,
        );
  const port = await new Promise<number>((ok, no) =>
    server.bindAsync(`${HOST}:0`, credentials, (err, p) => (err ? no(err) : ok(p))),
  );
  serveServer(port, () => server.forceShutdown());
}

main().catch(fail);
