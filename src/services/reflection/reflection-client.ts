/**
 * A client of gRPC server reflection: one ServerReflectionInfo stream, one
 * question at a time, v1 first and v1alpha when the server answers
 * UNIMPLEMENTED (older servers have only v1alpha). `registryFor(symbol)`
 * gathers the file that declares a symbol and every file it imports,
 * asking again by file name for any import the server left out (the spec
 * lets it skip files sent earlier on the stream), and builds a protobuf-es
 * registry from them: what `pqrpc call` needs to call a method it has no
 * .proto for.
 *
 * The server is not trusted: answers are checked against the question, the
 * number of files is bounded (MAX_REFLECTION_FILES), and every descriptor is
 * validated by createFileRegistry before use.
 */
import {
  create,
  createFileRegistry,
  type FileRegistry,
  fromBinary,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import {
  ServerReflection,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.ts";
import {
  ServerReflectionRequestSchema as ServerReflectionRequestSchemaV1Alpha,
  ServerReflectionResponseSchema as ServerReflectionResponseSchemaV1Alpha,
  ServerReflection as ServerReflectionV1Alpha,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { AsyncQueue } from "../../rpc/async-queue.ts";
import { createClient } from "../../rpc/client.ts";
import { Code, codeFromWire } from "../../rpc/code.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import type { CallOptions } from "../../rpc/service-types.ts";
import type { ClientTransport } from "../../rpc/transport.ts";
import { MAX_REFLECTION_FILES } from "../limits.ts";

export type ReflectionVersion = "v1" | "v1alpha";

type RequestInit = MessageInitShape<typeof ServerReflectionRequestSchema>;
type Answer = ServerReflectionResponse["messageResponse"];

const END = Symbol("end of requests");

/** One open ServerReflectionInfo call; answers re-read as v1 whatever the version. */
class ReflectionStream {
  readonly #outbox = new AsyncQueue<RequestInit | typeof END>(1);
  readonly #responses: AsyncIterator<ServerReflectionResponse>;
  #closed = false;

  constructor(transport: ClientTransport, version: ReflectionVersion, options: CallOptions) {
    const outbox = this.#outbox;
    async function* requests(): AsyncGenerator<RequestInit> {
      for (;;) {
        const next = await outbox.shift();
        if (next === END) return;
        yield next;
      }
    }
    if (version === "v1") {
      const client = createClient(ServerReflection, transport);
      this.#responses = client.serverReflectionInfo(requests(), options)[Symbol.asyncIterator]();
    } else {
      const client = createClient(ServerReflectionV1Alpha, transport);
      const asV1Alpha = async function* () {
        for await (const r of requests()) {
          yield fromBinary(
            ServerReflectionRequestSchemaV1Alpha,
            toBinary(ServerReflectionRequestSchema, create(ServerReflectionRequestSchema, r)),
          );
        }
      };
      const answers = client.serverReflectionInfo(asV1Alpha(), options);
      this.#responses = (async function* () {
        for await (const a of answers) {
          yield fromBinary(
            ServerReflectionResponseSchema,
            toBinary(ServerReflectionResponseSchemaV1Alpha, a),
          );
        }
      })();
    }
  }

  /** Sends one request and waits for its answer. */
  async ask(request: RequestInit): Promise<Answer> {
    if (this.#closed) throw new RpcError(Code.FAILED_PRECONDITION, "the reflection stream is closed");
    await this.#outbox.push(request);
    const next = await this.#responses.next();
    if (next.done)
      throw new RpcError(Code.INTERNAL, "the server ended the reflection stream without an answer");
    return next.value.messageResponse;
  }

  /** Half-closes the request side and reads the status (errors are of no interest any more). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#outbox.push(END).catch(() => {});
    try {
      while (!(await this.#responses.next()).done) {
        // An answer nobody asked for: ignore it and keep draining to the status.
      }
    } catch {
      // The status was an error: the stream is over either way.
    }
  }
}

function answerError(answer: Answer, expected: string): RpcError {
  if (answer.case === "errorResponse") {
    return new RpcError(codeFromWire(answer.value.errorCode), answer.value.errorMessage);
  }
  return new RpcError(Code.INTERNAL, `reflection answered ${answer.case ?? "nothing"}, expected ${expected}`);
}

function decodeFiles(blobs: readonly Uint8Array[]): FileDescriptorProto[] {
  return blobs.map((b) => {
    try {
      return fromBinary(FileDescriptorProtoSchema, b);
    } catch (e) {
      throw new RpcError(
        Code.INTERNAL,
        `reflection sent a malformed FileDescriptorProto: ${(e as Error).message}`,
      );
    }
  });
}

export class ReflectionClient {
  readonly version: ReflectionVersion;
  readonly #stream: ReflectionStream;
  readonly #services: readonly string[];

  private constructor(stream: ReflectionStream, version: ReflectionVersion, services: readonly string[]) {
    this.#stream = stream;
    this.version = version;
    this.#services = services;
  }

  /**
   * Opens a stream (v1, else v1alpha) and lists the services. Rejects with
   * RpcError UNIMPLEMENTED when the server has no reflection at all.
   * `options.timeoutMs` bounds the whole stream.
   */
  static async connect(transport: ClientTransport, options: CallOptions = {}): Promise<ReflectionClient> {
    let firstError: unknown;
    for (const version of ["v1", "v1alpha"] as const) {
      const stream = new ReflectionStream(transport, version, options);
      try {
        const answer = await stream.ask({ messageRequest: { case: "listServices", value: "" } });
        if (answer.case !== "listServicesResponse") throw answerError(answer, "a service list");
        return new ReflectionClient(
          stream,
          version,
          answer.value.service.map((s) => s.name),
        );
      } catch (e) {
        await stream.close();
        if (!(e instanceof RpcError && e.code === Code.UNIMPLEMENTED)) throw e;
        firstError ??= e;
      }
    }
    throw firstError;
  }

  /** The full names of the server's services (as listed when connecting). */
  get services(): readonly string[] {
    return this.#services;
  }

  /** The file that declares `symbol`, with the imports the server sent along. */
  fileContainingSymbol(symbol: string): Promise<FileDescriptorProto[]> {
    return this.#files({ case: "fileContainingSymbol", value: symbol });
  }

  /** The file named `name` ("pkg/file.proto"), with the imports the server sent along. */
  fileByFilename(name: string): Promise<FileDescriptorProto[]> {
    return this.#files({ case: "fileByFilename", value: name });
  }

  /** The file that declares extension `number` of `containingType`. */
  fileContainingExtension(containingType: string, number: number): Promise<FileDescriptorProto[]> {
    return this.#files({
      case: "fileContainingExtension",
      value: { containingType, extensionNumber: number },
    });
  }

  /** The extension numbers the server knows for message `typeName`. */
  async allExtensionNumbersOfType(typeName: string): Promise<number[]> {
    const answer = await this.#stream.ask({
      messageRequest: { case: "allExtensionNumbersOfType", value: typeName },
    });
    if (answer.case !== "allExtensionNumbersResponse") throw answerError(answer, "extension numbers");
    return answer.value.extensionNumber;
  }

  /**
   * A registry with the file declaring `symbol` and all its imports, fetching
   * by name any import the server did not send. Rejects with the server's
   * NOT_FOUND for an unknown symbol.
   */
  async registryFor(symbol: string): Promise<FileRegistry> {
    const first = await this.fileContainingSymbol(symbol);
    const root = first[0];
    if (root === undefined) throw new RpcError(Code.INTERNAL, `reflection sent no file for "${symbol}"`);
    const files = new Map<string, FileDescriptorProto>();
    const add = (list: readonly FileDescriptorProto[]) => {
      for (const f of list) if (!files.has(f.name)) files.set(f.name, f);
      if (files.size > MAX_REFLECTION_FILES) {
        throw new RpcError(
          Code.RESOURCE_EXHAUSTED,
          `the schema spans more than ${MAX_REFLECTION_FILES} files`,
        );
      }
    };
    add(first);
    for (
      let missing = missingImports(root, files);
      missing !== undefined;
      missing = missingImports(root, files)
    ) {
      const got = await this.fileByFilename(missing);
      if (!got.some((f) => f.name === missing)) {
        throw new RpcError(Code.INTERNAL, `reflection did not send "${missing}" when asked for it`);
      }
      add(got);
    }
    try {
      return createFileRegistry(root, (name) => files.get(name));
    } catch (e) {
      throw new RpcError(Code.INTERNAL, `reflection sent an invalid schema: ${(e as Error).message}`);
    }
  }

  /** Ends the stream. */
  close(): Promise<void> {
    return this.#stream.close();
  }

  async #files(request: Exclude<RequestInit["messageRequest"], undefined>): Promise<FileDescriptorProto[]> {
    const answer = await this.#stream.ask({ messageRequest: request });
    if (answer.case !== "fileDescriptorResponse") throw answerError(answer, "files");
    return decodeFiles(answer.value.fileDescriptorProto);
  }
}

/** The first import reachable from `root` that is not in `files`, or undefined when none is missing. */
function missingImports(root: FileDescriptorProto, files: ReadonlyMap<string, FileDescriptorProto>) {
  const seen = new Set<string>();
  const queue = [root];
  for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
    if (seen.has(f.name)) continue;
    seen.add(f.name);
    for (const dep of f.dependency) {
      const d = files.get(dep);
      if (d === undefined) return dep;
      queue.push(d);
    }
  }
  return undefined;
}
