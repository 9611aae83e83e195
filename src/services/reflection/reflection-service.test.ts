/**
 * Server reflection without a network: the answers to every request kind
 * (v1 and v1alpha), checked by decoding the descriptors they carry, and the
 * ReflectionClient against the router (in-memory transport), including a
 * server that leaves imports out and one that has only v1alpha.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  create,
  createFileRegistry,
  type DescService,
  fromBinary,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Health } from "../../gen/grpc/health/v1/health_pb.ts";
import {
  ServerReflection,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.ts";
import {
  ServerReflectionRequestSchema as ServerReflectionRequestSchemaV1Alpha,
  type ServerReflectionResponse as ServerReflectionResponseV1Alpha,
  ServerReflection as ServerReflectionV1Alpha,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { TestService } from "../../gen/grpc/testing/test_pb.ts";
import { Greeter } from "../../gen/helloworld/greeter_pb.ts";
import { collect, from, rejectsWith } from "../../rpc/call-test-helpers.ts";
import { Code } from "../../rpc/code.ts";
import { createRouter } from "../../rpc/router.ts";
import { createRouterTransport } from "../../rpc/router-transport.ts";
import { MAX_REFLECTION_NAME_CHARS } from "../limits.ts";
import { DescriptorIndex } from "./descriptor-index.ts";
import { ReflectionClient } from "./reflection-client.ts";
import { addReflectionService, answerReflection, createReflectionHandlers } from "./reflection-service.ts";
import { EXT_BASE, EXT_FILE, EXT_NUMBERS, extensionService } from "./test-schema.ts";

type RequestInit = MessageInitShape<typeof ServerReflectionRequestSchema>;

const services = [TestService, Greeter, extensionService()];
const index = new DescriptorIndex(services);

function ask(request: RequestInit["messageRequest"], host = ""): ServerReflectionResponse {
  const req = create(ServerReflectionRequestSchema, { host, messageRequest: request });
  return create(ServerReflectionResponseSchema, answerReflection(req, index));
}

function requests(...bodies: RequestInit["messageRequest"][]) {
  return from(bodies.map((messageRequest) => create(ServerReflectionRequestSchema, { messageRequest })));
}

function fileNames(res: ServerReflectionResponse): string[] {
  assert.equal(res.messageResponse.case, "fileDescriptorResponse", JSON.stringify(res.messageResponse));
  return (res.messageResponse.value as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto.map(
    (b) => fromBinary(FileDescriptorProtoSchema, b).name,
  );
}

function errorOf(res: ServerReflectionResponse): { errorCode: number; errorMessage: string } {
  assert.equal(res.messageResponse.case, "errorResponse");
  return res.messageResponse.value as { errorCode: number; errorMessage: string };
}

describe("reflection answers", () => {
  it("list_services: every registered service, sorted", () => {
    const res = ask({ case: "listServices", value: "*" });
    assert.equal(res.messageResponse.case, "listServicesResponse");
    assert.deepEqual(
      res.messageResponse.value?.service.map((s) => s.name),
      ["grpc.testing.TestService", "helloworld.Greeter", "test.ext.ExtService"],
    );
  });

  it("echoes host and the original request", () => {
    const res = ask({ case: "listServices", value: "" }, "example.test");
    assert.equal(res.validHost, "example.test");
    assert.equal(res.originalRequest?.messageRequest.case, "listServices");
  });

  it("file_containing_symbol: the file first, then its transitive imports, each once", () => {
    assert.deepEqual(fileNames(ask({ case: "fileContainingSymbol", value: "grpc.testing.TestService" })), [
      "grpc/testing/test.proto",
      "grpc/testing/empty.proto",
      "grpc/testing/messages.proto",
    ]);
    const declaredIn: [string, string][] = [
      ["grpc.testing.TestService.UnaryCall", "grpc/testing/test.proto"],
      ["grpc.testing.SimpleRequest", "grpc/testing/messages.proto"],
      ["grpc.testing.SimpleRequest.response_size", "grpc/testing/messages.proto"],
      ["grpc.testing.PayloadType", "grpc/testing/messages.proto"],
      // Enum values are siblings of their enum.
      ["grpc.testing.COMPRESSABLE", "grpc/testing/messages.proto"],
      ["grpc.testing.LoadBalancerStatsResponse.RpcsByPeer", "grpc/testing/messages.proto"],
      ["grpc.testing.LoadBalancerStatsResponse.INITIAL", "grpc/testing/messages.proto"],
      [".grpc.testing.Payload", "grpc/testing/messages.proto"],
      ["test.ext.num", EXT_FILE],
    ];
    for (const [symbol, file] of declaredIn) {
      assert.equal(fileNames(ask({ case: "fileContainingSymbol", value: symbol }))[0], file, symbol);
    }
    assert.deepEqual(
      fileNames(ask({ case: "fileContainingSymbol", value: "test.ext.Base.Holder.nested_num" })),
      [EXT_FILE, "grpc/testing/empty.proto"],
    );
  });

  it("the descriptors are usable: a registry built from them has the messages and methods", () => {
    const res = ask({ case: "fileContainingSymbol", value: "helloworld.Greeter" });
    const blobs = (res.messageResponse.value as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto;
    const [root, ...deps] = blobs.map((b) => fromBinary(FileDescriptorProtoSchema, b));
    const registry = createFileRegistry(root!, (name) => deps.find((d) => d.name === name));
    const greeter = registry.getService("helloworld.Greeter");
    assert.deepEqual(
      greeter?.methods.map((m) => [m.name, m.methodKind, m.input.typeName]),
      Greeter.methods.map((m) => [m.name, m.methodKind, m.input.typeName]),
    );
  });

  it("file_by_filename", () => {
    assert.deepEqual(fileNames(ask({ case: "fileByFilename", value: "grpc/testing/empty.proto" })), [
      "grpc/testing/empty.proto",
    ]);
  });

  it("extensions: file_containing_extension and all_extension_numbers_of_type", () => {
    for (const n of EXT_NUMBERS) {
      const names = fileNames(
        ask({ case: "fileContainingExtension", value: { containingType: EXT_BASE, extensionNumber: n } }),
      );
      assert.equal(names[0], EXT_FILE);
    }
    const res = ask({ case: "allExtensionNumbersOfType", value: EXT_BASE });
    assert.deepEqual(res.messageResponse.value, {
      $typeName: "grpc.reflection.v1.ExtensionNumberResponse",
      baseTypeName: EXT_BASE,
      extensionNumber: EXT_NUMBERS,
    });
    // A known message without extensions: an empty list, not an error.
    const none = ask({ case: "allExtensionNumbersOfType", value: "grpc.testing.Empty" });
    assert.deepEqual((none.messageResponse.value as { extensionNumber: number[] }).extensionNumber, []);
  });

  it("unknown names answer NOT_FOUND; an empty or oversized request INVALID_ARGUMENT", () => {
    const cases: [RequestInit["messageRequest"], Code][] = [
      [{ case: "fileByFilename", value: "no/such.proto" }, Code.NOT_FOUND],
      [{ case: "fileContainingSymbol", value: "no.Such" }, Code.NOT_FOUND],
      [
        { case: "fileContainingExtension", value: { containingType: EXT_BASE, extensionNumber: 101 } },
        Code.NOT_FOUND,
      ],
      [
        { case: "fileContainingExtension", value: { containingType: "no.Such", extensionNumber: 1 } },
        Code.NOT_FOUND,
      ],
      [{ case: "allExtensionNumbersOfType", value: "no.Such" }, Code.NOT_FOUND],
      [
        { case: "fileContainingSymbol", value: "x".repeat(MAX_REFLECTION_NAME_CHARS + 1) },
        Code.INVALID_ARGUMENT,
      ],
      [{ case: undefined }, Code.INVALID_ARGUMENT],
    ];
    for (const [request, code] of cases) {
      const e = errorOf(ask(request));
      assert.equal(e.errorCode, code, `${request?.case}: ${e.errorMessage}`);
      assert.ok(
        e.errorMessage.length < MAX_REFLECTION_NAME_CHARS,
        "the message does not echo an oversized name",
      );
    }
  });

  it("the stream answers one response per request, in order", async () => {
    const handlers = createReflectionHandlers(() => services);
    const out = await collect(
      handlers.v1.serverReflectionInfo(
        requests(
          { case: "fileContainingSymbol", value: "no.Such" },
          { case: "listServices", value: "" },
          { case: "fileByFilename", value: "grpc/testing/empty.proto" },
        ),
      ),
    );
    assert.deepEqual(
      out.map((r) => r.messageResponse?.case),
      ["errorResponse", "listServicesResponse", "fileDescriptorResponse"],
    );
  });

  it("v1alpha answers the same, in v1alpha messages", async () => {
    const handlers = createReflectionHandlers(() => services);
    const [res] = (await collect(
      handlers.v1alpha.serverReflectionInfo(
        from([
          create(ServerReflectionRequestSchemaV1Alpha, {
            host: "h",
            messageRequest: { case: "fileContainingSymbol", value: "helloworld.Greeter" },
          }),
        ]),
      ),
    )) as ServerReflectionResponseV1Alpha[];
    assert.equal(res?.$typeName, "grpc.reflection.v1alpha.ServerReflectionResponse");
    assert.equal(res?.validHost, "h");
    assert.equal(res?.originalRequest?.$typeName, "grpc.reflection.v1alpha.ServerReflectionRequest");
    assert.equal(res?.messageResponse.case, "fileDescriptorResponse");
    assert.deepEqual(
      res?.messageResponse.value?.fileDescriptorProto.map(
        (b) => fromBinary(FileDescriptorProtoSchema, b).name,
      ),
      ["helloworld/greeter.proto"],
    );
  });

  it("sees services registered after it was created", async () => {
    const list: DescService[] = [Greeter];
    const handlers = createReflectionHandlers(() => list);
    const names = async () => {
      const [r] = await collect(
        handlers.v1.serverReflectionInfo(requests({ case: "listServices", value: "" })),
      );
      const body = create(ServerReflectionResponseSchema, r).messageResponse;
      assert.equal(body.case, "listServicesResponse");
      return body.value.service.map((s) => s.name);
    };
    assert.deepEqual(await names(), ["helloworld.Greeter"]);
    list.push(Health);
    assert.deepEqual(await names(), ["grpc.health.v1.Health", "helloworld.Greeter"]);
  });
});

describe("ReflectionClient (in-memory)", () => {
  it("lists services and builds a registry for a symbol (v1)", async () => {
    const router = createRouter();
    addReflectionService(router, () => services);
    const client = await ReflectionClient.connect(createRouterTransport(router));
    try {
      assert.equal(client.version, "v1");
      assert.deepEqual(client.services, [
        "grpc.testing.TestService",
        "helloworld.Greeter",
        "test.ext.ExtService",
      ]);
      const registry = await client.registryFor("grpc.testing.TestService");
      assert.equal(
        registry.getService("grpc.testing.TestService")?.methods.length,
        TestService.methods.length,
      );
      assert.ok(registry.getMessage("grpc.testing.StreamingOutputCallRequest"));
      assert.deepEqual(await client.allExtensionNumbersOfType(EXT_BASE), EXT_NUMBERS);
      await rejectsWith(client.fileContainingSymbol("no.Such"), Code.NOT_FOUND, /no\.Such/);
      // The stream survives an error answer.
      assert.equal((await client.fileContainingExtension(EXT_BASE, 100))[0]?.name, EXT_FILE);
    } finally {
      await client.close();
    }
  });

  it("falls back to v1alpha, and asks by name for imports the server left out", async () => {
    const full = createReflectionHandlers(() => services).v1alpha;
    const router = createRouter().service(ServerReflectionV1Alpha, {
      // Like a server that skips files it considers sent: only the first file of each answer.
      async *serverReflectionInfo(requests) {
        for await (const answer of full.serverReflectionInfo(requests)) {
          const res = answer as ServerReflectionResponseV1Alpha;
          if (res.messageResponse.case === "fileDescriptorResponse") {
            res.messageResponse.value.fileDescriptorProto =
              res.messageResponse.value.fileDescriptorProto.slice(0, 1);
          }
          yield res;
        }
      },
    });
    const client = await ReflectionClient.connect(createRouterTransport(router));
    try {
      assert.equal(client.version, "v1alpha");
      const registry = await client.registryFor("grpc.testing.TestService.FullDuplexCall");
      assert.ok(registry.getMessage("grpc.testing.StreamingOutputCallResponse"), "import fetched by name");
      assert.ok(registry.getMessage("grpc.testing.Empty"));
    } finally {
      await client.close();
    }
  });

  it("a server without reflection: UNIMPLEMENTED", async () => {
    const router = createRouter().service(Greeter, {});
    await rejectsWith(ReflectionClient.connect(createRouterTransport(router)), Code.UNIMPLEMENTED);
  });

  it("a server that answers the wrong kind is refused, not trusted", async () => {
    const router = createRouter().service(ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const _ of requests)
          yield { messageResponse: { case: "listServicesResponse", value: {} } };
      },
    });
    const client = await ReflectionClient.connect(createRouterTransport(router));
    try {
      await rejectsWith(client.fileByFilename("a.proto"), Code.INTERNAL, /expected files/);
    } finally {
      await client.close();
    }
  });
});
