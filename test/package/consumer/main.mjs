// A consumer of the installed pqrpc package, in plain ESM JavaScript: issues
// certificates, serves a generated service, makes a unary and a bidi call
// over X25519MLKEM768 + ML-DSA-65, closes everything and prints what it saw.
import { applyYoungBufferGcWorkaround, connect, createDevelopmentPki, createServer, TrustStore } from "pqrpc";
import { Greeter } from "./gen/greeter/v1/greeter_pb.js";
import { createGreeterClient } from "./gen/greeter/v1/greeter_pqrpc.js";

async function* names() {
  yield { name: "ada" };
  yield { name: "grace" };
}

// Node 24: set at startup (nodejs/node#61967); Node 20 and 22 need nothing.
const youngBufferGc = applyYoungBufferGcWorkaround();
const expectedGc = Number(process.versions.node.split(".")[0]) >= 24 ? "applied" : "not-needed";
const pki = createDevelopmentPki({ algorithm: "ml-dsa-65" });
const server = createServer({ identity: pki.server.certifiedKey });
server.service(Greeter, {
  sayHello: async (req) => ({ message: `hello ${req.name}` }),
  async *lotsOfReplies(req) {
    yield { message: `hello ${req.name}` };
  },
  async lotsOfGreetings(reqs) {
    const names = [];
    for await (const r of reqs) names.push(r.name);
    return { message: names.join(",") };
  },
  async *chat(reqs) {
    for await (const r of reqs) yield { message: `echo ${r.name}` };
  },
});
const address = await server.listen({ port: 0, host: "127.0.0.1" });
const channel = await connect(`127.0.0.1:${address.port}`, {
  trust: new TrustStore({ roots: pki.ca.chainPem }),
});
try {
  const greeter = createGreeterClient(channel);
  const unary = await greeter.sayHello({ name: "ada" });
  const bidi = [];
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
