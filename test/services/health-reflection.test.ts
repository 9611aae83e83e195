/**
 * Health and reflection on a real pqrpc server (createServer with
 * `health` and `reflection`), called through pqrpc's own client over TLS on
 * both wire protocols: Check / List / Watch with their status codes, the
 * whole server turning NOT_SERVING on close() with Watch streams ending
 * cleanly, and reflection descriptors good enough to call a method through
 * a dynamically built client.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DescService } from "@bufbuild/protobuf";
import { type Channel, connect } from "../../src/client/index.ts";
import { Health, HealthCheckResponse_ServingStatus as S } from "../../src/gen/grpc/health/v1/health_pb.ts";
import { TestService } from "../../src/gen/grpc/testing/test_pb.ts";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { createTestServiceHandlers } from "../../src/interop/test-service.ts";
import type { TrustStore } from "../../src/pki/trust-store.ts";
import { rejectsWith } from "../../src/rpc/call-test-helpers.ts";
import { createClient } from "../../src/rpc/client.ts";
import { Code } from "../../src/rpc/code.ts";
import type { Server } from "../../src/server/index.ts";
import { createServer } from "../../src/server/index.ts";
import { MAX_HEALTH_SERVICE_NAME_CHARS } from "../../src/services/limits.ts";
import { ReflectionClient } from "../../src/services/reflection/reflection-client.ts";
import { SERVER_NAME, testPki } from "../rpc/helpers.ts";

/** close() must not need its grace period: Watch streams end by themselves. */
const LONG_GRACE_MS = 120_000;

async function startServer(options: { health?: boolean; reflection?: boolean } = {}) {
  const { pki } = await testPki();
  const server = createServer({
    identity: pki.server.certifiedKey,
    health: true,
    reflection: true,
    ...options,
  })
    .service(Greeter, { sayHello: (req) => ({ message: `hello ${req.name}` }) })
    .service(TestService, createTestServiceHandlers());
  const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
  return { server, address: `127.0.0.1:${port}` };
}

/** Reads one message from a stream iterator. */
async function nextStatus(it: AsyncIterator<{ status: S }>): Promise<S | "end"> {
  const r = await it.next();
  return r.done ? "end" : r.value.status;
}

describe("health and reflection on a pqrpc server", () => {
  let trust: TrustStore;
  before(async () => {
    ({ trust } = await testPki());
  });

  for (const protocol of ["pqrpc/1", "h2"] as const) {
    describe(protocol, () => {
      let server: Server;
      let channel: Channel;
      before(async () => {
        const started = await startServer();
        server = started.server;
        channel = await connect(started.address, { trust, serverName: SERVER_NAME, protocol });
      });
      after(async () => {
        await channel?.close();
        await server?.close();
      });

      it("Check: the overall status, registered services SERVING, unknown NOT_FOUND", async () => {
        const health = createClient(Health, channel);
        assert.equal((await health.check({})).status, S.SERVING);
        assert.equal((await health.check({ service: "helloworld.Greeter" })).status, S.SERVING);
        assert.equal((await health.check({ service: "grpc.testing.TestService" })).status, S.SERVING);
        await rejectsWith(health.check({ service: "no.Such" }), Code.NOT_FOUND, /no\.Such/);
        await rejectsWith(
          health.check({ service: "x".repeat(MAX_HEALTH_SERVICE_NAME_CHARS + 1) }),
          Code.INVALID_ARGUMENT,
        );
        server.health!.setStatus("helloworld.Greeter", "NOT_SERVING");
        assert.equal((await health.check({ service: "helloworld.Greeter" })).status, S.NOT_SERVING);
        server.health!.setStatus("helloworld.Greeter", "SERVING");
      });

      it("List: every status", async () => {
        const health = createClient(Health, channel);
        const { statuses } = await health.list({});
        assert.deepEqual(Object.fromEntries(Object.entries(statuses).map(([k, v]) => [k, v.status])), {
          "": S.SERVING,
          "helloworld.Greeter": S.SERVING,
          "grpc.testing.TestService": S.SERVING,
        });
      });

      it("Watch: the current status at once, then every change; SERVICE_UNKNOWN keeps the call open", async () => {
        const health = createClient(Health, channel);
        const abort = new AbortController();
        const overall = health.watch({ service: "" }, { signal: abort.signal })[Symbol.asyncIterator]();
        const later = health
          .watch({ service: "later.Service" }, { signal: abort.signal })
          [Symbol.asyncIterator]();
        try {
          assert.equal(await nextStatus(overall), S.SERVING);
          assert.equal(await nextStatus(later), S.SERVICE_UNKNOWN);
          server.health!.setStatus("", "NOT_SERVING");
          assert.equal(await nextStatus(overall), S.NOT_SERVING);
          server.health!.setStatus("", "SERVING");
          assert.equal(await nextStatus(overall), S.SERVING);
          server.health!.setStatus("later.Service", "SERVING");
          assert.equal(await nextStatus(later), S.SERVING);
          server.health!.clearStatus("later.Service");
          assert.equal(await nextStatus(later), S.SERVICE_UNKNOWN);
        } finally {
          abort.abort();
          await overall.return?.();
          await later.return?.();
        }
      });

      it("reflection lists every service and its descriptors drive a dynamic client", async () => {
        const reflection = await ReflectionClient.connect(channel, { timeoutMs: 30_000 });
        let greeter: DescService | undefined;
        try {
          assert.equal(reflection.version, "v1");
          assert.deepEqual(reflection.services, [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
            "grpc.testing.TestService",
            "helloworld.Greeter",
          ]);
          greeter = (await reflection.registryFor("helloworld.Greeter")).getService("helloworld.Greeter");
          await rejectsWith(reflection.fileContainingSymbol("no.Such"), Code.NOT_FOUND);
        } finally {
          await reflection.close();
        }
        assert.ok(greeter, "the registry holds the service");
        assert.notEqual(greeter, Greeter, "a descriptor built from the wire, not the generated one");
        const dynamic = createClient(greeter, channel) as unknown as {
          sayHello(req: { name: string }): Promise<{ message: string }>;
        };
        assert.equal((await dynamic.sayHello({ name: "ada" })).message, "hello ada");
      });
    });
  }

  for (const protocol of ["pqrpc/1", "h2"] as const) {
    it(`${protocol}: close() turns NOT_SERVING, a Watch gets it and ends with OK, close needs no grace`, async () => {
      const { server, address } = await startServer();
      const channel = await connect(address, { trust, serverName: SERVER_NAME, protocol });
      try {
        const watch = createClient(Health, channel)
          .watch({ service: "helloworld.Greeter" })
          [Symbol.asyncIterator]();
        assert.equal(await nextStatus(watch), S.SERVING);
        const closing = server.close({ graceMs: LONG_GRACE_MS });
        assert.equal(await nextStatus(watch), S.NOT_SERVING);
        assert.equal(await nextStatus(watch), "end", "the stream ended with OK, not cut off");
        await closing;
        assert.equal(server.health!.getStatus(""), "NOT_SERVING");
        server.health!.setStatus("", "SERVING");
        assert.equal(server.health!.getStatus(""), "NOT_SERVING", "a closing server stays NOT_SERVING");
        assert.equal(server.stats.connections, 0);
      } finally {
        await channel.close();
        await server.close();
      }
    });
  }

  it("both are off unless asked for: UNIMPLEMENTED, and no server.health", async () => {
    const { server, address } = await startServer({ health: false, reflection: false });
    const channel = await connect(address, { trust, serverName: SERVER_NAME });
    try {
      assert.equal(server.health, undefined);
      await rejectsWith(createClient(Health, channel).check({}), Code.UNIMPLEMENTED);
      await rejectsWith(ReflectionClient.connect(channel), Code.UNIMPLEMENTED);
    } finally {
      await channel.close();
      await server.close();
    }
  });
});
