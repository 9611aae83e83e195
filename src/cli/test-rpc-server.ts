/**
 * Test helper for the CLI tests: an in-process pqrpc server on 127.0.0.1
 * with the demo Greeter and the interop TestService, answering both pqrpc/1
 * and gRPC over HTTP/2 (chosen by ALPN), issuing session tickets.
 */
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { defaultCrypto } from "../crypto/select.ts";
import { TestService } from "../gen/grpc/testing/test_pb.ts";
import { Greeter } from "../gen/helloworld/greeter_pb.ts";
import type { GreeterHandlers } from "../gen/helloworld/greeter_pqrpc.ts";
import { createTestServiceHandlers } from "../interop/test-service.ts";
import { loadIdentity } from "../pki/load.ts";
import { Code } from "../rpc/code.ts";
import { createRouter } from "../rpc/router.ts";
import { RpcError } from "../rpc/rpc-error.ts";
import { peerOf } from "../server/peer.ts";
import { createServerProtocols } from "../server/protocol-session.ts";
import { type PolicyName, TicketSealer } from "../tls/index.ts";
import { tlsAccept } from "../transport/tls-connect.ts";

export const testGreeter: GreeterHandlers = {
  sayHello(req, ctx) {
    if (req.name === "fail") throw new RpcError(Code.FAILED_PRECONDITION, "asked to fail");
    ctx.responseHeader.set("x-greeting", "1");
    const echo = ctx.requestHeader.getString("x-echo");
    return { message: `hello ${req.name}`, names: echo === undefined ? [] : [echo] };
  },
  async *lotsOfReplies(req) {
    for (let i = 0; i < Number(req.count); i++) yield { message: `${req.name} ${i}` };
  },
  async lotsOfGreetings(reqs) {
    const names: string[] = [];
    for await (const r of reqs) names.push(r.name);
    return { message: `hello ${names.length}`, names };
  },
  async *chat(reqs) {
    for await (const r of reqs) yield { message: `echo ${r.name}` };
  },
};

export interface TestRpcServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startTestRpcServer(options: {
  chain: string;
  key: string;
  policy?: PolicyName;
}): Promise<TestRpcServer> {
  const certificate = await loadIdentity(options.chain, options.key);
  const router = createRouter()
    .service(Greeter, testGreeter)
    .service(TestService, createTestServiceHandlers());
  const protocols = createServerProtocols(router.handle);
  const sealer = new TicketSealer(defaultCrypto());
  const sockets = new Set<Socket>();
  const tcp = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.setNoDelay(true);
    tlsAccept(socket, {
      certificate,
      policy: options.policy,
      alpnProtocols: ["pqrpc/1", "h2"],
      sessionTickets: { sealer },
    }).then(
      (tls) => {
        tls.on("error", () => {});
        if (protocols.serve(tls, peerOf(tls)) === undefined) tls.destroy();
      },
      () => socket.destroy(),
    );
  });
  tcp.listen(0, "127.0.0.1");
  await once(tcp, "listening");
  return {
    port: (tcp.address() as { port: number }).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}
