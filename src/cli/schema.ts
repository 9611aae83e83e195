/**
 * Where `pqrpc call` and `bench` get message and service descriptors: .proto
 * files compiled at run time by buf (through @pqrpc/codegen), the server's own reflection service
 * (grpc.reflection.v1 or v1alpha), or the built-in demo (helloworld.Greeter)
 * and interop (grpc.testing.TestService) schemas.
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
import { Code } from "../rpc/code.ts";
import { RpcError } from "../rpc/rpc-error.ts";
import type { CallOptions } from "../rpc/service-types.ts";
import type { ClientTransport } from "../rpc/transport.ts";
import { ReflectionClient, type ReflectionVersion } from "../services/reflection/reflection-client.ts";
import { CliError } from "./cli-error.ts";
import { CommandFailure } from "./describe-error.ts";
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

/** A schema read from the server's reflection, and how. */
export interface ReflectedSchema extends Schema {
  readonly version: ReflectionVersion;
  /** The full name of the service that was asked for. */
  readonly service: string;
}

/**
 * The schema of the service that `spec` names, as the server's reflection
 * describes it (its file and every import). Resolves undefined when the
 * server has no reflection service; a service the server does not list is
 * a CliError naming the ones it does.
 */
export async function reflectSchema(
  transport: ClientTransport,
  spec: string,
  options: CallOptions,
): Promise<ReflectedSchema | undefined> {
  const { serviceName } = parseMethodSpec(spec);
  let client: ReflectionClient;
  try {
    client = await ReflectionClient.connect(transport, options);
  } catch (e) {
    if (e instanceof RpcError && e.code === Code.UNIMPLEMENTED) return undefined;
    throw e;
  }
  try {
    const service = matchService(client.services, serviceName);
    if (service === undefined) {
      throw new CliError(
        `no service "${serviceName}" on the server (its reflection lists: ${client.services.join(", ") || "none"})`,
      );
    }
    let registry: Awaited<ReturnType<ReflectionClient["registryFor"]>>;
    try {
      registry = await client.registryFor(service);
    } catch (e) {
      const why = e instanceof RpcError ? e.message : String(e);
      throw new CommandFailure(`server reflection could not describe ${service}: ${why}`, { cause: e });
    }
    return { ...schemaOf(registry), version: client.version, service };
  } finally {
    await client.close();
  }
}

/** "pkg.Service" itself, or the one service whose name ends in ".Service". */
function matchService(services: readonly string[], name: string): string | undefined {
  if (services.includes(name)) return name;
  const matches = services.filter((s) => s.endsWith(`.${name}`));
  return matches.length === 1 ? matches[0] : undefined;
}

/**
 * Splits "pkg.Service/Method" (also "pkg.Service.Method" or a leading "/")
 * into the service and method names.
 */
export function parseMethodSpec(spec: string): { serviceName: string; methodName: string } {
  const text = spec.startsWith("/") ? spec.slice(1) : spec;
  const slash = text.lastIndexOf("/");
  const dot = text.lastIndexOf(".");
  const cut = slash >= 0 ? slash : dot;
  if (cut <= 0 || cut === text.length - 1) {
    throw new CliError(`bad method "${spec}": expected SERVICE/METHOD, e.g. helloworld.Greeter/SayHello`);
  }
  return { serviceName: text.slice(0, cut), methodName: text.slice(cut + 1) };
}

/**
 * Finds "pkg.Service/Method" (also "pkg.Service.Method", a leading "/", or
 * "Service/Method" when the short service name is unique).
 */
export function findMethod(schema: Schema, spec: string): DescMethod {
  const { serviceName, methodName } = parseMethodSpec(spec);
  let service = schema.registry.getService(serviceName);
  if (!service) {
    const match = matchService(schema.services, serviceName);
    if (match !== undefined) service = schema.registry.getService(match);
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
