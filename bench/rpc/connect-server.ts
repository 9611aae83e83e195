/**
 * bench:rpc server worker: @connectrpc/connect-node serving the bench
 * workload of grpc.testing.TestService from the generated protobuf-es
 * descriptor, on plaintext HTTP/2 (h2c). Compression is off, as on every
 * other system: Connect would otherwise gzip the 64 KiB zero payloads.
 *   node --import tsx bench/rpc/connect-server.ts '{}'
 */
import http2 from "node:http2";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { TestService } from "../../src/gen/grpc/testing/test_pb.ts";
import { HOST } from "./messages.ts";
import { fail, serveServer } from "./worker-io.ts";

function routes(router: ConnectRouter): void {
  router.service(TestService, {
    unaryCall(req) {
      return { payload: { body: new Uint8Array(req.responseSize) } };
    },
    async *streamingOutputCall(req) {
      for (const p of req.responseParameters) yield { payload: { body: new Uint8Array(p.size) } };
    },
  });
}

async function main(): Promise<void> {
  const server = http2.createServer(connectNodeAdapter({ routes, acceptCompression: [] }));
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  serveServer((server.address() as { port: number }).port, () => {
    server.close();
  });
}

main().catch(fail);
