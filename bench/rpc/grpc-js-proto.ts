/**
 * grpc.testing.TestService for the @grpc/grpc-js workers, loaded from gRPC's
 * own test.proto with @grpc/proto-loader as a stock grpc-js user would (no
 * pqrpc code), with the channel options both sides share.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const PROTO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../proto");

/** The TestService client constructor and server definition. */
export interface TestServiceCtor {
  new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions): grpc.Client;
  readonly service: grpc.ServiceDefinition;
}

export function loadTestService(): TestServiceCtor {
  const definition = protoLoader.loadSync("grpc/testing/test.proto", {
    includeDirs: [PROTO_ROOT],
    defaults: true,
    enums: Number,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    grpc: { testing: { TestService: TestServiceCtor } };
  };
  return pkg.grpc.testing.TestService;
}

/** Payload as proto-loader decodes it. */
export interface GrpcJsPayload {
  readonly body: Buffer;
}
