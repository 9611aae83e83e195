/**
 * Where `pqrpc call` and `bench` get message and service descriptors: .proto
 * files compiled at run time by buf (through @pqrpc/codegen), or the built-in
 * demo (helloworld.Greeter) and interop (grpc.testing.TestService) schemas.
 */
import {
  createFileRegistry,
  createRegistry,
  type DescMethod,
  fromBinary,
  type Registry,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { file_grpc_testing_test } from "../gen/grpc/testing/test_pb.ts";
import { file_helloworld_greeter } from "../gen/helloworld/greeter_pb.ts";
import { CliError } from "./cli-error.ts";
import { loadCodegen } from "./load-codegen.ts";

export interface Schema {
  readonly registry: Registry;
  /** Fully-qualified names of the services it holds, for messages. */
  readonly services: readonly string[];
}

function schemaOf(registry: Registry & Iterable<{ kind: string; typeName: string }>): Schema {
  const services: string[] = [];
  for (const d of registry) if (d.kind === "service") services.push(d.typeName);
  return { registry, services: services.sort() };
}

/** helloworld.Greeter (the demo) and grpc.testing.TestService / UnimplementedService (interop). */
export function builtinSchema(): Schema {
  return schemaOf(
    createRegistry(file_helloworld_greeter, file_grpc_testing_test, ...file_grpc_testing_test.dependencies),
  );
}

/**
 * Compiles `protoFiles` with buf (from @pqrpc/codegen). `importPath` is the
 * root their imports resolve from (default: the directory of the first file).
 */
export async function compileSchema(protoFiles: readonly string[], importPath?: string): Promise<Schema> {
  const codegen = await loadCodegen("--proto");
  let bytes: Uint8Array;
  try {
    bytes = await codegen.compileDescriptorSet(protoFiles, importPath);
  } catch (e) {
    if (e instanceof codegen.GenerateError) throw new CliError(`--proto: ${e.message.split("\n")[0]}`);
    throw e;
  }
  return schemaOf(createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes)));
}

/**
 * Finds "pkg.Service/Method" (also "pkg.Service.Method", a leading "/", or
 * "Service/Method" when the short service name is unique).
 */
export function findMethod(schema: Schema, spec: string): DescMethod {
  const text = spec.startsWith("/") ? spec.slice(1) : spec;
  const slash = text.lastIndexOf("/");
  const dot = text.lastIndexOf(".");
  const cut = slash >= 0 ? slash : dot;
  if (cut <= 0 || cut === text.length - 1) {
    throw new CliError(`bad method "${spec}": expected SERVICE/METHOD, e.g. helloworld.Greeter/SayHello`);
  }
  const serviceName = text.slice(0, cut);
  const methodName = text.slice(cut + 1);
  let service = schema.registry.getService(serviceName);
  if (!service) {
    const matches = schema.services.filter((s) => s === serviceName || s.endsWith(`.${serviceName}`));
    if (matches.length === 1) service = schema.registry.getService(matches[0]!);
  }
  if (!service) {
    throw new CliError(
      `no service "${serviceName}" in the schema (have: ${schema.services.join(", ") || "none"})`,
    );
  }
  const method = service.methods.find((m) => m.name === methodName || m.localName === methodName);
  if (!method) {
    throw new CliError(
      `no method "${methodName}" in ${service.typeName} (have: ${service.methods.map((m) => m.name).join(", ")})`,
    );
  }
  return method;
}
