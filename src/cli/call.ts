/**
 * `pqrpc call ADDR SERVICE/METHOD [-d JSON|@] [--proto FILE ...] [--import-path DIR]
 *   [-H "name: value" ...] [--ca FILE | --insecure] [--servername NAME] [--policy NAME]
 *   [--protocol pqrpc/1|h2] [--timeout MS] [-v]`
 *
 * A grpcurl-like client: requests from JSON, responses printed as JSON, one
 * compact line per message. Streaming request sides take several JSON values,
 * a JSON array, or "@" (newline-delimited JSON from stdin, sent as it is read).
 * The schema is --proto (compiled with buf), else what the server's
 * reflection service describes, else (a server without reflection) the
 * built-in demo and interop services. -v prints the negotiated security parameters, response headers
 * and trailers to stderr.
 */

import { parseArgs } from "node:util";
import type { DescMethod, Message } from "@bufbuild/protobuf";
import { createClient } from "../rpc/client.ts";
import { Code, codeName } from "../rpc/code.ts";
import { Metadata } from "../rpc/metadata.ts";
import { RpcError } from "../rpc/rpc-error.ts";
import type { CallOptions } from "../rpc/service-types.ts";
import { formatAddress, parseAddress } from "./address.ts";
import { CliError, type CliIo } from "./cli-error.ts";
import { CommandFailure, describeFailure } from "./describe-error.ts";
import { parseJsonValues, readJsonLines, requestValues } from "./json-input.ts";
import { parseTimeout } from "./options.ts";
import { messageFromJson, messageToJsonLine } from "./request-messages.ts";
import { openRpcConnection, parseProtocol, type RpcConnection } from "./rpc-connection.ts";
import {
  builtinSchema,
  compileSchema,
  findMethod,
  parseMethodSpec,
  reflectSchema,
  type Schema,
} from "./schema.ts";
import { resolveTlsTarget, TLS_CLI_OPTIONS, type TlsTarget } from "./tls-dial.ts";
import { securityLines } from "./tls-summary.ts";
import { commandUsage } from "./usage.ts";

const CALL_USAGE = commandUsage("call");

/** Where "@" reads from; tests replace it. */
export interface CallInput {
  readonly stdin: NodeJS.ReadableStream;
}

export const CALL_OPTIONS = {
  ...TLS_CLI_OPTIONS,
  data: { type: "string", short: "d" },
  proto: { type: "string", multiple: true },
  "import-path": { type: "string" },
  header: { type: "string", short: "H", multiple: true },
  protocol: { type: "string" },
  timeout: { type: "string" },
  verbose: { type: "boolean", short: "v", default: false },
} as const;

export async function loadCallSchema(
  proto: readonly string[] | undefined,
  importPath?: string,
): Promise<Schema> {
  return proto && proto.length > 0 ? compileSchema(proto, importPath) : builtinSchema();
}

/** -H values: "name: value" or "name:value"; "-bin" names take base64 (as gRPC carries them). */
export function parseHeaders(list: readonly string[] | undefined): Metadata {
  const md = new Metadata();
  for (const h of list ?? []) {
    const colon = h.indexOf(":");
    if (colon <= 0) throw new CliError(`bad -H "${h}": expected "name: value"`);
    const name = h.slice(0, colon).trim().toLowerCase();
    const value = h.slice(colon + 1).trim();
    try {
      md.append(name, name.endsWith("-bin") ? new Uint8Array(Buffer.from(value, "base64")) : value);
    } catch (e) {
      throw new CliError(`bad -H "${h}": ${(e as Error).message}`);
    }
  }
  return md;
}

export async function runCall(
  args: string[],
  io: CliIo,
  input: CallInput = { stdin: process.stdin },
): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: CALL_OPTIONS,
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 2) throw new CliError(CALL_USAGE);
  const address = parseAddress(positionals[0]!);
  const protocol = parseProtocol(values.protocol);
  const timeoutMs = parseTimeout(values.timeout);
  const headers = parseHeaders(values.header);
  const spec = positionals[1]!;
  // Compile --proto, check the method and parse -d before connecting: a typo costs no handshake.
  const given =
    values.proto && values.proto.length > 0
      ? await compileSchema(values.proto, values["import-path"])
      : undefined;
  if (given === undefined) parseMethodSpec(spec);
  else findMethod(given, spec);
  const data = values.data === "@" ? undefined : parseJsonValues(values.data ?? "");

  const target = await resolveTlsTarget(address, values, true);
  const conn = await openRpcConnection(target, protocol, timeoutMs);
  const verbose = (line: string) => {
    if (values.verbose) io.stderr(`* ${line}\n`);
  };
  for (const line of securityLines(target, conn)) verbose(line);
  if (!target.verifier.verified)
    io.stderr("pqrpc: warning: --insecure: the server's certificate was not verified\n");
  let schema: Schema;
  let method: DescMethod;
  let requests: Iterable<Message> | AsyncIterable<Message>;
  const inputError: { error?: unknown } = {};
  try {
    schema = given ?? (await serverSchema(conn, spec, { headers, timeoutMs }, verbose, target));
    method = findMethod(schema, spec);
    const streamingRequests =
      method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
    if (data === undefined) {
      requests = fromStdin(input.stdin, method, schema, inputError, streamingRequests);
    } else {
      const parsed = requestValues(data, streamingRequests, method.parent.typeName + "/" + method.name);
      const registry = schema.registry;
      requests = parsed.map((v) => messageFromJson(method.input, v, registry));
    }
  } catch (e) {
    await conn.close();
    throw e;
  }
  const started = performance.now();
  const options: CallOptions = {
    headers,
    timeoutMs,
    onHeader: (h) => verbose(`response headers: ${formatMetadata(h)}`),
    onTrailer: (t) => verbose(`response trailers: ${formatMetadata(t)}`),
  };
  try {
    for await (const reply of invoke(conn, method, requests, options)) {
      io.stdout(`${messageToJsonLine(method.output, reply, schema.registry)}\n`);
    }
    verbose(`status OK after ${(performance.now() - started).toFixed(1)} ms`);
  } catch (e) {
    if (inputError.error !== undefined) throw inputError.error;
    const ctx = { address: formatAddress(address), policy: target.policy };
    const text = describeFailure(e, ctx);
    verbose(
      `status ${codeName(e instanceof RpcError ? e.code : Code.UNKNOWN)} (${e instanceof RpcError ? e.code : Code.UNKNOWN}) after ${(performance.now() - started).toFixed(1)} ms`,
    );
    throw new CommandFailure(`${method.parent.typeName}/${method.name} failed: ${text}`, { cause: e });
  } finally {
    await conn.close();
  }
}

/**
 * Without --proto the server describes itself through reflection; a server
 * without reflection gets the built-in demo and interop schemas.
 */
async function serverSchema(
  conn: RpcConnection,
  spec: string,
  options: CallOptions,
  verbose: (line: string) => void,
  target: TlsTarget,
): Promise<Schema> {
  let reflected: Awaited<ReturnType<typeof reflectSchema>>;
  try {
    reflected = await reflectSchema(conn.transport, spec, options);
  } catch (e) {
    if (e instanceof CliError || e instanceof CommandFailure) throw e;
    const ctx = { address: formatAddress(target.address), policy: target.policy };
    throw new CommandFailure(`server reflection failed: ${describeFailure(e, ctx)}`, { cause: e });
  }
  if (reflected === undefined) {
    verbose("the server has no reflection service: using the built-in demo and interop schemas");
    return builtinSchema();
  }
  verbose(`schema of ${reflected.service} from server reflection (${reflected.version})`);
  return reflected;
}

/** Runs one call of any kind; yields the responses. */
export async function* invoke(
  conn: RpcConnection,
  method: DescMethod,
  requests: Iterable<Message> | AsyncIterable<Message>,
  options: CallOptions,
): AsyncGenerator<Message> {
  const client = createClient(method.parent, conn.transport) as unknown as Record<
    string,
    (req: unknown, o: CallOptions) => Promise<Message> | AsyncIterable<Message>
  >;
  const fn = client[method.localName]!;
  switch (method.methodKind) {
    case "unary":
      yield await (fn(await first(requests), options) as Promise<Message>);
      return;
    case "server_streaming":
      yield* fn(await first(requests), options) as AsyncIterable<Message>;
      return;
    case "client_streaming":
      yield await (fn(toAsync(requests), options) as Promise<Message>);
      return;
    case "bidi_streaming":
      yield* fn(toAsync(requests), options) as AsyncIterable<Message>;
      return;
  }
}

async function first(requests: Iterable<Message> | AsyncIterable<Message>): Promise<Message> {
  for await (const r of requests) return r;
  throw new CliError("no request message (stdin was empty)");
}

async function* toAsync<T>(items: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  yield* items;
}

async function* fromStdin(
  stdin: NodeJS.ReadableStream,
  method: DescMethod,
  schema: Schema,
  sink: { error?: unknown },
  streaming: boolean,
): AsyncGenerator<Message> {
  try {
    for await (const value of readJsonLines(stdin as import("node:stream").Readable)) {
      yield messageFromJson(method.input, value, schema.registry);
      if (!streaming) return;
    }
  } catch (e) {
    // The rpc core turns a failing request source into a cancelled call: keep the real cause.
    sink.error = e;
    throw e;
  }
}

function formatMetadata(md: Metadata): string {
  const parts: string[] = [];
  for (const [name, value] of md) {
    parts.push(`${name}: ${typeof value === "string" ? value : Buffer.from(value).toString("base64")}`);
  }
  return parts.length === 0 ? "(none)" : parts.join(", ");
}
