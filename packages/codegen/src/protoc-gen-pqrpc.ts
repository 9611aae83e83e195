/**
 * protoc-gen-pqrpc: a protoc plugin (on @bufbuild/protoplugin) that emits,
 * next to protoc-gen-es's `*_pb.ts`, one `*_pqrpc.ts` per proto file with
 * services. For each service it writes:
 *
 * - `interface <Service>Client`: one typed method per RPC (what createClient returns);
 * - `interface <Service>Handlers`: the handler signature of each RPC (what
 *   router.service / server.service take);
 * - `create<Service>Client(transport, options)`.
 *
 * The service descriptor itself is protoc-gen-es's GenService (`export const
 * Greeter` in `*_pb.ts`): pqrpc reads method kinds and message schemas from
 * it at runtime, so there is one schema representation, not two.
 *
 * Plugin option `runtime=<module>`: where the pqrpc rpc API is imported from
 * (default "pqrpc"; a path starting with "./" is relative to the output root).
 * protobuf-es's `target=ts|js|dts` (and combinations) are honoured with one
 * emitter per target, as protoc-gen-es does, so no TypeScript compiler runs
 * at generation time.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  createEcmaScriptPlugin,
  type GeneratedFile,
  type ImportSymbol,
  type Printable,
  type Schema,
} from "@bufbuild/protoplugin";
import { PLUGIN_NAME, PLUGIN_VERSION, type PluginOptions, parsePluginOptions } from "./plugin-options.ts";

/** The output being written: TypeScript, or JavaScript and its declarations separately. */
type Emit = "ts" | "js" | "dts";

interface Symbols {
  readonly initShape: ImportSymbol;
  readonly callOptions: ImportSymbol;
  readonly handlerContext: ImportSymbol;
  readonly clientTransport: ImportSymbol;
  readonly clientOptions: ImportSymbol;
  readonly createClient: ImportSymbol;
}

function generateService(f: GeneratedFile, service: DescService, s: Symbols, emit: Emit): void {
  const name = service.name;
  if (emit !== "js") {
    f.print(f.jsDoc(`Typed client of ${service.typeName}: what createClient(${name}, transport) returns.`));
    f.print(f.export("interface", `${name}Client`), " {");
    for (const method of service.methods) {
      f.print(f.jsDoc(method, "  "));
      f.print("  ", method.localName, ...clientSignature(f, method, s), ";");
    }
    f.print("}");
    f.print();
    f.print(f.jsDoc(`Handlers of ${service.typeName}, for router.service(${name}, handlers).`));
    f.print(f.export("interface", `${name}Handlers`), " {");
    for (const method of service.methods) {
      f.print(f.jsDoc(method, "  "));
      f.print("  ", method.localName, ...handlerSignature(f, method, s), ";");
    }
    f.print("}");
    f.print();
  }
  f.print(f.jsDoc(`Creates a client of ${service.typeName} over a transport.`));
  switch (emit) {
    case "ts":
      f.print(f.export("function", `create${name}Client`), "(");
      f.print("  transport: ", s.clientTransport, ",");
      f.print("  options?: ", s.clientOptions, ",");
      f.print("): ", name, "Client {");
      f.print("  return ", s.createClient, "(", f.importSchema(service), ", transport, options);");
      f.print("}");
      break;
    case "js":
      f.print(f.export("function", `create${name}Client`), "(transport, options) {");
      f.print("  return ", s.createClient, "(", f.importSchema(service), ", transport, options);");
      f.print("}");
      break;
    case "dts":
      f.print(f.export("declare function", `create${name}Client`), "(");
      f.print("  transport: ", s.clientTransport, ",");
      f.print("  options?: ", s.clientOptions, ",");
      f.print("): ", name, "Client;");
      break;
  }
  f.print();
}

function clientSignature(f: GeneratedFile, m: DescMethod, s: Symbols): Printable[] {
  const init: Printable[] = [s.initShape, "<typeof ", f.importSchema(m.input, true), ">"];
  const out = f.importShape(m.output);
  switch (m.methodKind) {
    case "unary":
      return ["(request: ", ...init, ", options?: ", s.callOptions, "): Promise<", out, ">"];
    case "server_streaming":
      return ["(request: ", ...init, ", options?: ", s.callOptions, "): AsyncIterable<", out, ">"];
    case "client_streaming":
      return ["(requests: AsyncIterable<", ...init, ">, options?: ", s.callOptions, "): Promise<", out, ">"];
    case "bidi_streaming":
      return [
        "(requests: AsyncIterable<",
        ...init,
        ">, options?: ",
        s.callOptions,
        "): AsyncIterable<",
        out,
        ">",
      ];
  }
}

function handlerSignature(f: GeneratedFile, m: DescMethod, s: Symbols): Printable[] {
  const input = f.importShape(m.input);
  const out: Printable[] = [s.initShape, "<typeof ", f.importSchema(m.output, true), ">"];
  switch (m.methodKind) {
    case "unary":
      return ["(request: ", input, ", ctx: ", s.handlerContext, "): Promise<", ...out, "> | ", ...out];
    case "server_streaming":
      return ["(request: ", input, ", ctx: ", s.handlerContext, "): AsyncIterable<", ...out, ">"];
    case "client_streaming":
      return ["(requests: AsyncIterable<", input, ">, ctx: ", s.handlerContext, "): Promise<", ...out, ">"];
    case "bidi_streaming":
      return [
        "(requests: AsyncIterable<",
        input,
        ">, ctx: ",
        s.handlerContext,
        "): AsyncIterable<",
        ...out,
        ">",
      ];
  }
}

function generate(schema: Schema<PluginOptions>, emit: Emit): void {
  for (const file of schema.files) {
    if (file.services.length === 0) continue;
    const f = schema.generateFile(`${file.name}_pqrpc.${emit === "dts" ? "d.ts" : emit}`);
    f.preamble(file);
    const runtime = schema.options.runtime;
    const symbols: Symbols = {
      initShape: f.import("MessageInitShape", "@bufbuild/protobuf", true),
      callOptions: f.import("CallOptions", runtime, true),
      handlerContext: f.import("HandlerContext", runtime, true),
      clientTransport: f.import("ClientTransport", runtime, true),
      clientOptions: f.import("ClientOptions", runtime, true),
      createClient: f.import("createClient", runtime, emit === "dts"),
    };
    for (const service of file.services) generateService(f, service, symbols, emit);
  }
}

export const protocGenPqrpc = createEcmaScriptPlugin<PluginOptions>({
  name: PLUGIN_NAME,
  version: PLUGIN_VERSION,
  parseOptions: parsePluginOptions,
  generateTs: (schema) => generate(schema, "ts"),
  generateJs: (schema) => generate(schema, "js"),
  generateDts: (schema) => generate(schema, "dts"),
});
