// The same consumer in TypeScript, compiled by tsc with `tsc --init`'s defaults
// (strict, NodeNext, exactOptionalPropertyTypes, noUncheckedIndexedAccess) and
// skipLibCheck off, against the installed package's declarations.
import {
  applyYoungBufferGcWorkaround,
  type Channel,
  connect,
  createDevelopmentPki,
  createServer,
  type HandlerContext,
  TrustStore,
} from "pqrpc";
import { Greeter, type HelloRequest } from "./gen/greeter/v1/greeter_pb.js";
import { createGreeterClient, type GreeterHandlers } from "./gen/greeter/v1/greeter_pqrpc.js";

const handlers: GreeterHandlers = {
  sayHello: async (req: HelloRequest, _ctx: HandlerContext) => ({ message: `hello ${req.name}` }),
  async *lotsOfReplies(req) {
    yield { message: `hello ${req.name}` };
  },
  async lotsOfGreetings(reqs) {
    const names: string[] = [];
    for await (const r of reqs) names.push(r.name);
    return { message: names.join(",") };
  },
  async *chat(reqs) {
    for await (const r of reqs) yield { message: `echo ${r.name}` };
  },
};

async function* names(): AsyncIterable<{ name: string }> {
  yield { name: "ada" };
  yield { name: "grace" };
}

// Node 24: set at startup (nodejs/node#61967); Node 20 and 22 need nothing.
const youngBufferGc = applyYoungBufferGcWorkaround();
const expectedGc = Number(process.versions.node.split(".")[0]) >= 24 ? "applied" : "not-needed";
const pki = createDevelopmentPki({ algorithm: "ml-dsa-65" });
const server = createServer({ identity: pki.server.certifiedKey });
server.service(Greeter, handlers);
const address = await server.listen({ port: 0, host: "127.0.0.1" });
// Rotation: the same chain again, as a renewal would hand over a new one.
server.setIdentity(pki.server.certifiedKey);
const channel: Channel = await connect(`127.0.0.1:${address.port}`, {
  trust: new TrustStore({ roots: pki.ca.chainPem }),
});
try {
  const greeter = createGreeterClient(channel);
  const unary = await greeter.sayHello({ name: "ada" }, { timeoutMs: 10_000 });
  const bidi: string[] = [];
  for await (const r of greeter.chat(names())) bidi.push(r.message);
  const info = channel.info;
  console.log(
    JSON.stringify({
      unary: unary.message,
      bidi,
      group: info?.group,
      signatureScheme: info?.signatureScheme,
      alpn: info?.alpn,
      youngBufferGc: youngBufferGc === expectedGc,
    }),
  );
} finally {
  await channel.close();
  await server.close();
}
