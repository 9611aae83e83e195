/**
 * gRPC server reflection (grpc/reflection/v1/reflection.proto, and the
 * deprecated v1alpha that older clients such as grpcurl < 1.9 and many
 * grpc-js tools still call) on the rpc router, so it answers on pqrpc/1 and
 * on gRPC over h2 alike.
 *
 * ServerReflectionInfo is a bidi stream with one response per request, in
 * order. Lookups that find nothing answer an ErrorResponse in the stream
 * (NOT_FOUND, as grpc-go and grpc-java do) and the stream goes on; a request
 * with no field set, or a name over MAX_REFLECTION_NAME_CHARS, answers
 * INVALID_ARGUMENT the same way. File answers carry the file and all its
 * transitive imports every time: the spec allows leaving out files sent
 * earlier on the stream, but clients that open one stream per question
 * (grpc-js-reflection-client does) then miss them.
 *
 * v1alpha has the same messages field for field, so its requests are
 * re-read as v1 and the answers re-encoded as v1alpha: one implementation.
 */
import { create, type DescService, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import {
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.ts";
import {
  ServerReflectionRequestSchema as ServerReflectionRequestSchemaV1Alpha,
  type ServerReflectionRequest as ServerReflectionRequestV1Alpha,
  ServerReflectionResponseSchema as ServerReflectionResponseSchemaV1Alpha,
  ServerReflection as ServerReflectionV1Alpha,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { Code } from "../../rpc/code.ts";
import { MAX_REFLECTION_NAME_CHARS } from "../limits.ts";
import type { ServiceRegistrar } from "../service-registrar.ts";
import { DescriptorIndex } from "./descriptor-index.ts";

type ResponseInit = MessageInitShape<typeof ServerReflectionResponseSchema>;
type ResponseBody = ResponseInit["messageResponse"];

/** The services reflection describes; read on every request, so services added later are seen. */
export type ServiceSource = () => readonly DescService[];

/** Rebuilds the index only when the list of services changed (services are only ever added). */
function cachedIndex(services: ServiceSource): () => DescriptorIndex {
  let list: readonly DescService[] | undefined;
  let length = -1;
  let index: DescriptorIndex | undefined;
  return () => {
    const now = services();
    if (index === undefined || now !== list || now.length !== length) {
      list = now;
      length = now.length;
      index = new DescriptorIndex(now);
    }
    return index;
  };
}

function errorBody(code: Code, message: string): ResponseBody {
  return { case: "errorResponse", value: { errorCode: code, errorMessage: message } };
}

function filesBody(files: Uint8Array[]): ResponseBody {
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto: files } };
}

function tooLong(name: string): ResponseBody | undefined {
  return name.length > MAX_REFLECTION_NAME_CHARS
    ? errorBody(Code.INVALID_ARGUMENT, `name of ${name.length} chars exceeds ${MAX_REFLECTION_NAME_CHARS}`)
    : undefined;
}

/** The answer to one request (v1 messages). */
export function answerReflection(request: ServerReflectionRequest, index: DescriptorIndex): ResponseInit {
  return { validHost: request.host, originalRequest: request, messageResponse: answerBody(request, index) };
}

function answerBody(request: ServerReflectionRequest, index: DescriptorIndex): ResponseBody {
  const r = request.messageRequest;
  switch (r.case) {
    case "listServices":
      return {
        case: "listServicesResponse",
        value: { service: index.serviceNames.map((name) => ({ name })) },
      };
    case "fileByFilename": {
      const file = index.files.get(r.value);
      if (file !== undefined) return filesBody(index.withDependencies(file));
      return tooLong(r.value) ?? errorBody(Code.NOT_FOUND, `file "${r.value}" not found`);
    }
    case "fileContainingSymbol": {
      // Tolerate the leading dot of a descriptor's type reference (".pkg.Msg").
      const symbol = r.value.startsWith(".") ? r.value.slice(1) : r.value;
      const file = index.symbols.get(symbol);
      if (file !== undefined) return filesBody(index.withDependencies(file));
      return tooLong(r.value) ?? errorBody(Code.NOT_FOUND, `symbol "${r.value}" not found`);
    }
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = r.value;
      const extension = index.extensions.get(containingType)?.get(extensionNumber);
      if (extension !== undefined) return filesBody(index.withDependencies(extension.file));
      return (
        tooLong(containingType) ??
        errorBody(Code.NOT_FOUND, `no extension ${extensionNumber} of "${containingType}" is known`)
      );
    }
    case "allExtensionNumbersOfType": {
      if (!index.messages.has(r.value)) {
        return tooLong(r.value) ?? errorBody(Code.NOT_FOUND, `type "${r.value}" not found`);
      }
      const numbers = [...(index.extensions.get(r.value)?.keys() ?? [])].sort((a, b) => a - b);
      return {
        case: "allExtensionNumbersResponse",
        value: { baseTypeName: r.value, extensionNumber: numbers },
      };
    }
    case undefined:
      return errorBody(Code.INVALID_ARGUMENT, "the request sets none of the message_request fields");
  }
}

export interface ReflectionHandlers {
  /** For grpc.reflection.v1.ServerReflection. */
  readonly v1: {
    serverReflectionInfo(
      requests: AsyncIterable<ServerReflectionRequest>,
    ): AsyncIterable<MessageInitShape<typeof ServerReflectionResponseSchema>>;
  };
  /** For grpc.reflection.v1alpha.ServerReflection. */
  readonly v1alpha: {
    serverReflectionInfo(
      requests: AsyncIterable<ServerReflectionRequestV1Alpha>,
    ): AsyncIterable<MessageInitShape<typeof ServerReflectionResponseSchemaV1Alpha>>;
  };
}

/** Handlers of both reflection versions over the services `services()` returns. */
export function createReflectionHandlers(services: ServiceSource): ReflectionHandlers {
  const index = cachedIndex(services);
  return {
    v1: {
      async *serverReflectionInfo(requests) {
        for await (const request of requests) yield answerReflection(request, index());
      },
    },
    v1alpha: {
      async *serverReflectionInfo(requests) {
        for await (const request of requests) {
          const asV1 = fromBinary(
            ServerReflectionRequestSchema,
            toBinary(ServerReflectionRequestSchemaV1Alpha, request),
          );
          const answer = create(ServerReflectionResponseSchema, answerReflection(asV1, index()));
          yield fromBinary(
            ServerReflectionResponseSchemaV1Alpha,
            toBinary(ServerReflectionResponseSchema, answer),
          );
        }
      },
    },
  };
}

/** Registers grpc.reflection.v1 and v1alpha ServerReflection on `router`. */
export function addReflectionService(router: ServiceRegistrar, services: ServiceSource): void {
  const handlers = createReflectionHandlers(services);
  router.service(ServerReflection, handlers.v1);
  router.service(ServerReflectionV1Alpha, handlers.v1alpha);
}

/** The two reflection service descriptors, for listing. */
export const REFLECTION_SERVICES: readonly DescService[] = [ServerReflection, ServerReflectionV1Alpha];
