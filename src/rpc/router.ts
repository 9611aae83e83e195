/**
 * The server side of the rpc core: `createRouter().service(Descriptor,
 * handlers)` registers handlers; `router.handle` is the CallHandler that a
 * server protocol calls for each incoming call. It decodes requests, runs the
 * interceptors and the handler under the call's deadline and cancellation
 * signal, and writes the response and the status:
 *
 * - handler throws RpcError -> its code, message, details and metadata;
 * - handler throws anything else -> INTERNAL "internal error" (the message is
 *   not sent: it may hold server internals; `onError` sees the original);
 * - unknown service or method -> UNIMPLEMENTED;
 * - deadline passes -> DEADLINE_EXCEEDED, even if the handler ignores its signal;
 * - client cancels -> the handler's signal aborts with CANCELLED; nothing is sent.
 */
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  type Message,
} from "@bufbuild/protobuf";
import { racedIterable } from "./abortable.ts";
import type { ObservedCall } from "./call-observer.ts";
import { type AbortSource, type CallSignal, createCallSignal, withLazySignal } from "./call-signal.ts";
import { Code } from "./code.ts";
import type { HandlerContext } from "./context.ts";
import { type AnyFn, applyInterceptors, type StreamRequest, type UnaryRequest } from "./interceptor.ts";
import { MAX_STATUS_MESSAGE_CHARS } from "./limits.ts";
import {
  decodeMessage,
  decodeUncompressed,
  encodeMessage,
  encodeUncompressed,
  type MessageCodecConfig,
  negotiateSendCompression,
  resolveReceiveCompression,
} from "./message-codec.ts";
import { Metadata } from "./metadata.ts";
import { type CallPathOptions, type ResolvedCallPathOptions, resolveCallPathOptions } from "./options.ts";
import { RpcError } from "./rpc-error.ts";
import { createSerializer, type SerializationFormat, type Serializer } from "./serialization.ts";
import { methodPath, type ServiceHandlers } from "./service-types.ts";
import type { CallHandler, ServerCallStream } from "./transport.ts";

export interface RouterOptions extends CallPathOptions {
  /** Sees every error that a handler threw other than RpcError (for logging); the client gets INTERNAL. */
  readonly onError?: (error: unknown, ctx: HandlerContext) => void;
}

export interface Router {
  /** Registers a service; methods without a handler answer UNIMPLEMENTED. Throws on a duplicate path. */
  service<S extends DescService>(service: S, handlers: Partial<ServiceHandlers<S>>): Router;
  /** Handles one call from a server protocol; never rejects. */
  readonly handle: CallHandler;
  /** Registered method paths ("/pkg.Service/Method"). */
  paths(): string[];
}

type AnyHandler = (input: unknown, ctx: HandlerContext) => unknown;

interface Route {
  readonly method: DescMethod;
  readonly handler: AnyHandler;
  readonly serializers: Record<
    SerializationFormat,
    { input: Serializer<DescMessage>; output: Serializer<DescMessage> }
  >;
}

/** The message of an INTERNAL status for a non-RpcError exception. */
export const INTERNAL_ERROR_MESSAGE = "internal error";

export function createRouter(options?: RouterOptions): Router {
  const resolved = resolveCallPathOptions(options);
  const routes = new Map<string, Route>();
  // The grpc-accept-encoding of every response: the same names for each call.
  const acceptNames = resolved.acceptCompression.map((c) => c.name);
  const router: Router = {
    service(service, handlers) {
      for (const method of service.methods) {
        const handler = (handlers as Record<string, AnyHandler | undefined>)[method.localName];
        if (handler === undefined) continue;
        const path = methodPath(method);
        if (routes.has(path)) throw new Error(`method ${path} is already registered`);
        const pair = (format: SerializationFormat) => ({
          input: createSerializer(method.input, format, resolved.serialization),
          output: createSerializer(method.output, format, resolved.serialization),
        });
        routes.set(path, {
          method,
          handler: handler.bind(handlers),
          serializers: { proto: pair("proto"), json: pair("json") },
        });
      }
      return router;
    },
    handle: (call) => {
      const observer = resolved.callObserver;
      if (observer === undefined)
        return handleCall(call, routes, resolved, acceptNames, options?.onError, undefined);
      const observed = observer.start({ path: call.head.path, header: call.head.metadata, peer: call.peer });
      return observed.run(() => handleCall(call, routes, resolved, acceptNames, options?.onError, observed));
    },
    paths: () => [...routes.keys()],
  };
  return router;
}

/**
 * The request the server interceptors and the handler see, written out field
 * by field: on Node 20 (V8 11.3) a `{ ...common, stream, message }` literal
 * costs about 2 µs and leaves a dictionary-mode object, on which
 * withLazySignal's defineProperty costs another 3 µs (Node 24: 0.2 µs for both).
 */
function handlerRequest<S extends boolean, M>(
  call: ServerCallStream,
  method: DescMethod,
  callSignal: CallSignal,
  stream: S,
  message: M,
) {
  return {
    service: method.parent,
    method,
    path: call.head.path,
    header: call.head.metadata,
    deadline: callSignal.deadline,
    peer: call.peer,
    stream,
    message,
  };
}

/** Tells the transport how long the application's handler runs (ServerCallStream.holdUntil); returns `work`. */
function held<T>(call: ServerCallStream, work: Promise<T>): Promise<T> {
  call.holdUntil?.(work);
  return work;
}

async function handleCall(
  call: ServerCallStream,
  routes: ReadonlyMap<string, Route>,
  options: ResolvedCallPathOptions,
  acceptNames: readonly string[],
  onError: RouterOptions["onError"],
  observed: ObservedCall | undefined,
): Promise<void> {
  const route = routes.get(call.head.path);
  if (route === undefined) {
    const err = new RpcError(Code.UNIMPLEMENTED, `method ${call.head.path} is not implemented`);
    observed?.end(err.code, err);
    await sendStatus(call, err, new Metadata());
    return;
  }
  const { method } = route;
  const timeoutMs = call.head.timeoutMs;
  const callSignal = createCallSignal({
    deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
    // A transport with onAbort needs no AbortSignal of its own for this (most calls never make one).
    parents: [call.onAbort === undefined ? call.signal : (call as AbortSource)],
  });
  const responseHeader = new Metadata();
  const responseTrailer = new Metadata();
  const ctx: HandlerContext = {
    service: method.parent,
    method,
    // Lazy: the AbortSignal is made only if the handler looks at it (see call-signal.ts).
    get signal() {
      return callSignal.signal;
    },
    deadline: callSignal.deadline,
    timeRemaining: () =>
      callSignal.deadline === undefined ? undefined : Math.max(0, callSignal.deadline - Date.now()),
    requestHeader: call.head.metadata,
    responseHeader,
    responseTrailer,
    peer: call.peer,
  };
  let headerSent = false;
  // Not async: it throws at once (inside handleCall's try) and hands back the transport's promise;
  // callers skip it (and an await) once the header is out.
  const sendResponseHeader = (encoding: string): Promise<void> => {
    headerSent = true;
    checkMetadataSize(responseHeader, options.maxMetadataBytes, "response headers");
    return call.sendHeader({
      metadata: responseHeader,
      encoding,
      acceptEncoding: acceptNames,
    });
  };
  /**
   * The handler's own work (its promise, then its response stream's close):
   * a status goes out as soon as the call is cancelled or past its deadline,
   * but the call is over for the transport only once the handler has
   * settled, so a transport that counts running handlers (pqrpc/1 against
   * CVE-2025-8671) counts one that ignores its signal too.
   */
  let running: Promise<unknown> | undefined;
  try {
    const { input, output } = route.serializers[call.head.format];
    const codec: MessageCodecConfig = {
      maxSendBytes: options.maxSendMessageBytes,
      maxReceiveBytes: options.maxReceiveMessageBytes,
      sendCompression: negotiateSendCompression(options.sendCompression, call.head.acceptEncoding),
      compressMinBytes: options.compressMinBytes,
      receiveCompression: resolveReceiveCompression(call.head.encoding, options.acceptCompression),
    };
    const encoding = codec.sendCompression?.name ?? "identity";
    const invoke = applyInterceptors(handlerFn(route, ctx), options.interceptors);
    if (method.methodKind === "unary") {
      const message = await readSingle(call, input, codec, callSignal, observed);
      const pending = held(
        call,
        invoke(withLazySignal(handlerRequest(call, method, callSignal, false, message), callSignal)),
      );
      running = pending;
      const res = await callSignal.race(pending);
      if (res.stream) throw new RpcError(Code.INTERNAL, "interceptor returned a stream for a unary method");
      const bytes = serialized(output, res.message, observed);
      const data = encodeUncompressed(bytes, codec) ?? (await encodeMessage(bytes, codec));
      if (!headerSent) await sendResponseHeader(encoding);
      await callSignal.race(call.send(data));
    } else {
      const message =
        method.methodKind === "server_streaming"
          ? single(await readSingle(call, input, codec, callSignal, observed))
          : readRequests(call, input, codec, callSignal, observed);
      const pending = held(
        call,
        invoke(withLazySignal(handlerRequest(call, method, callSignal, true, message), callSignal)),
      );
      running = pending;
      const res = await callSignal.race(pending);
      if (!res.stream)
        throw new RpcError(Code.INTERNAL, "interceptor returned a unary response for a stream method");
      const closed = (p: Promise<unknown>) => {
        running = p;
      };
      // Each step of the handler's stream is its work too: a generator stuck past the call's end still runs.
      for await (const m of racedIterable(res.message, (step) => callSignal.race(held(call, step)), closed)) {
        const bytes = serialized(output, m, observed);
        const data = encodeUncompressed(bytes, codec) ?? (await encodeMessage(bytes, codec));
        if (!headerSent) await sendResponseHeader(encoding);
        await callSignal.race(call.send(data));
      }
    }
    if (!headerSent) await sendResponseHeader(encoding);
    checkMetadataSize(responseTrailer, options.maxMetadataBytes, "response trailers");
    await call.sendTrailer({
      status: { code: Code.OK, message: "", details: [] },
      metadata: responseTrailer,
    });
    observed?.end(Code.OK);
  } catch (e) {
    if (call.onAbort === undefined ? call.signal.aborted : call.abortReason !== undefined) {
      // The client is gone: there is nobody to send a status to.
      observed?.end(Code.CANCELLED, e);
      return;
    }
    let err: RpcError;
    if (callSignal.reason !== undefined) err = callSignal.reason;
    else if (e instanceof RpcError) err = e;
    else {
      onError?.(e, ctx);
      err = new RpcError(Code.INTERNAL, INTERNAL_ERROR_MESSAGE);
    }
    observed?.end(err.code, err);
    const trailer = new Metadata().merge(responseTrailer).merge(err.metadata);
    if (!headerSent && responseHeader.size > 0) {
      // Keep headers set before the failure where the client expects them.
      headerSent = true;
      await call
        .sendHeader({ metadata: responseHeader, encoding: "identity", acceptEncoding: [] })
        .catch(() => {});
    }
    await sendStatus(call, err, trailer);
  } finally {
    callSignal.dispose();
    await running?.catch(ignore);
  }
}

function ignore(): void {}

async function sendStatus(call: ServerCallStream, err: RpcError, trailer: Metadata): Promise<void> {
  try {
    await call.sendTrailer({
      status: {
        code: err.code,
        message: err.rawMessage.slice(0, MAX_STATUS_MESSAGE_CHARS),
        details: err.details,
      },
      metadata: trailer,
    });
  } catch {
    // The stream failed under us (peer reset, connection lost): nothing more to do.
  }
}

function checkMetadataSize(md: Metadata, max: number, what: string): void {
  const size = md.byteSize();
  if (size > max) {
    throw new RpcError(Code.INTERNAL, `${what} of ${size} bytes exceed the limit of ${max} bytes`);
  }
}

/** The handler as the innermost AnyFn of the server interceptor chain. */
function handlerFn(route: Route, ctx: HandlerContext): AnyFn {
  const { method, handler } = route;
  const toOutput = (init: unknown) => create(method.output, init as never) as Message;
  return async (req: UnaryRequest | StreamRequest) => {
    switch (method.methodKind) {
      case "unary": {
        const out = await (handler(req.message, ctx) as Promise<unknown>);
        return {
          stream: false,
          header: ctx.responseHeader,
          message: toOutput(out),
          trailer: ctx.responseTrailer,
        };
      }
      case "client_streaming": {
        const out = await (handler(req.message, ctx) as Promise<unknown>);
        return {
          stream: true,
          header: ctx.responseHeader,
          message: single(toOutput(out)),
          trailer: ctx.responseTrailer,
        };
      }
      case "server_streaming": {
        const [request] = await collect(req.message as AsyncIterable<Message>);
        const out = handler(request, ctx) as AsyncIterable<unknown>;
        return {
          stream: true,
          header: ctx.responseHeader,
          message: mapAsync(out, toOutput),
          trailer: ctx.responseTrailer,
        };
      }
      case "bidi_streaming": {
        const out = handler(req.message, ctx) as AsyncIterable<unknown>;
        return {
          stream: true,
          header: ctx.responseHeader,
          message: mapAsync(out, toOutput),
          trailer: ctx.responseTrailer,
        };
      }
    }
  };
}

/** The next request message, or undefined at the end of the requests; every read races the call's signal. */
async function readRequest(
  call: ServerCallStream,
  input: Serializer<DescMessage>,
  codec: MessageCodecConfig,
  callSignal: CallSignal,
  observed: ObservedCall | undefined,
): Promise<Message | undefined> {
  let ev: Awaited<ReturnType<ServerCallStream["read"]>>;
  try {
    ev = await callSignal.race(call.read());
  } catch (e) {
    throw RpcError.from(e, Code.CANCELLED);
  }
  if (ev.type === "end") return undefined;
  const bytes = decodeUncompressed(ev.message, codec) ?? (await decodeMessage(ev.message, codec));
  observed?.received(bytes.length);
  return input.parse(bytes);
}

async function* readRequests(
  call: ServerCallStream,
  input: Serializer<DescMessage>,
  codec: MessageCodecConfig,
  callSignal: CallSignal,
  observed: ObservedCall | undefined,
): AsyncGenerator<Message> {
  for (;;) {
    const m = await readRequest(call, input, codec, callSignal, observed);
    if (m === undefined) return;
    yield m;
  }
}

function serialized(output: Serializer<DescMessage>, message: Message, observed: ObservedCall | undefined) {
  const bytes = output.serialize(message);
  observed?.sent(bytes.length);
  return bytes;
}

/**
 * Unary and server-streaming requests carry exactly one message. Read without
 * an async generator: a unary call's promises are a measurable share of its
 * CPU (and each one costs more again under an AsyncLocalStorage hook on Node 20).
 */
async function readSingle(
  call: ServerCallStream,
  input: Serializer<DescMessage>,
  codec: MessageCodecConfig,
  callSignal: CallSignal,
  observed: ObservedCall | undefined,
): Promise<Message> {
  const first = await readRequest(call, input, codec, callSignal, observed);
  if (first === undefined) throw new RpcError(Code.INTERNAL, "protocol error: missing request message");
  const second = await readRequest(call, input, codec, callSignal, observed);
  if (second !== undefined)
    throw new RpcError(Code.INTERNAL, "protocol error: more than one request message");
  return first;
}

async function* single<T>(item: T): AsyncGenerator<T> {
  yield item;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const i of items) out.push(i);
  return out;
}

async function* mapAsync<T, U>(items: AsyncIterable<T>, fn: (item: T) => U): AsyncGenerator<U> {
  for await (const item of items) yield fn(item);
}
