/**
 * Service descriptors and the typed shapes derived from them. A service
 * descriptor is protobuf-es's GenService (emitted by protoc-gen-es in
 * `*_pb.ts`); pqrpc derives the client and handler types from it, so the
 * schema has one runtime representation (as in Connect-ES v2).
 */
import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { HandlerContext } from "./context.ts";
import type { Metadata, MetadataInit } from "./metadata.ts";

export type ServiceDescriptor = DescService;
export type MethodDescriptor = DescMethod;
export type MethodKind = DescMethod["methodKind"];

/** "/package.Service/Method": the HTTP/2 :path and the pqrpc/1 method name. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** Per-call options of a client method (DESIGN.md §7). */
export interface CallOptions {
  /** Time allowed for the whole call; DEADLINE_EXCEEDED after it, on both sides. */
  readonly timeoutMs?: number;
  /** Cancels the call when aborted (CANCELLED, unless the reason is an RpcError). */
  readonly signal?: AbortSignal;
  readonly headers?: MetadataInit;
  /** Called with the response headers once they arrive. */
  readonly onHeader?: (header: Metadata) => void;
  /** Called with the trailers (also when the call fails with a status). */
  readonly onTrailer?: (trailer: Metadata) => void;
}

type In<M> = M extends { input: infer I extends DescMessage } ? I : never;
type Out<M> = M extends { output: infer O extends DescMessage } ? O : never;

export type ClientMethod<M> = M extends { methodKind: "unary" }
  ? (request: MessageInitShape<In<M>>, options?: CallOptions) => Promise<MessageShape<Out<M>>>
  : M extends { methodKind: "server_streaming" }
    ? (request: MessageInitShape<In<M>>, options?: CallOptions) => AsyncIterable<MessageShape<Out<M>>>
    : M extends { methodKind: "client_streaming" }
      ? (
          requests: AsyncIterable<MessageInitShape<In<M>>>,
          options?: CallOptions,
        ) => Promise<MessageShape<Out<M>>>
      : M extends { methodKind: "bidi_streaming" }
        ? (
            requests: AsyncIterable<MessageInitShape<In<M>>>,
            options?: CallOptions,
          ) => AsyncIterable<MessageShape<Out<M>>>
        : never;

export type HandlerMethod<M> = M extends { methodKind: "unary" }
  ? (
      request: MessageShape<In<M>>,
      ctx: HandlerContext,
    ) => Promise<MessageInitShape<Out<M>>> | MessageInitShape<Out<M>>
  : M extends { methodKind: "server_streaming" }
    ? (request: MessageShape<In<M>>, ctx: HandlerContext) => AsyncIterable<MessageInitShape<Out<M>>>
    : M extends { methodKind: "client_streaming" }
      ? (
          requests: AsyncIterable<MessageShape<In<M>>>,
          ctx: HandlerContext,
        ) => Promise<MessageInitShape<Out<M>>>
      : M extends { methodKind: "bidi_streaming" }
        ? (
            requests: AsyncIterable<MessageShape<In<M>>>,
            ctx: HandlerContext,
          ) => AsyncIterable<MessageInitShape<Out<M>>>
        : never;

type MethodsOf<S> = S extends GenService<infer R extends GenServiceMethods> ? R : Record<string, DescMethod>;

/** The typed client of a service: one method per RPC, named by its localName (lowerCamelCase). */
export type Client<S extends DescService> = { [K in keyof MethodsOf<S>]: ClientMethod<MethodsOf<S>[K]> };

/** The handlers of a service: one function per RPC. */
export type ServiceHandlers<S extends DescService> = {
  [K in keyof MethodsOf<S>]: HandlerMethod<MethodsOf<S>[K]>;
};
