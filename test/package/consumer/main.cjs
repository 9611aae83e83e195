// The same consumer through require() (Node >= 20.19 loads pqrpc's ESM with it).
const {
  applyYoungBufferGcWorkaround,
  connect,
  createDevelopmentPki,
  createServer,
  TrustStore,
} = require("pqrpc");
const { Greeter } = require("./gen/greeter/v1/greeter_pb.js");
const { createGreeterClient } = require("./gen/greeter/v1/greeter_pqrpc.js");

async function* names() {
  yield { name: "ada" };
  yield { name: "grace" };
}

async function main() {
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
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
