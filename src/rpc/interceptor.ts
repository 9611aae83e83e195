/**
 * Interceptors wrap the call path on the client (before the transport) and on
 * the server (around the handler). An interceptor receives `next` and returns
 * a function of the same type, so it can read or replace the request headers
 * and messages, observe or replace the response, and catch or throw RpcErrors:
 *
 *   const logging: Interceptor = (next) => async (req) => {
 *     req.header.set("x-trace", id);
 *     const res = await next(req);
 *     return res;
 *   };
 *
 * Unary calls use UnaryRequest/UnaryResponse; the three streaming kinds use
 * StreamRequest/StreamResponse (a server-streaming request is a one-message
 * stream), as Connect-ES does, so interceptors handle two shapes, not four.
 */
import type { DescMethod, DescService, Message } from "@bufbuild/protobuf";
import type { Metadata } from "./metadata.ts";
import type { PeerInfo } from "./peer.ts";

interface RequestCommon {
  readonly service: DescService;
  readonly method: DescMethod;
  /** "/package.Service/Method". */
  readonly path: string;
  /** Request headers: mutable on the client before `next`. */
  readonly header: Metadata;
  /** The call's signal (deadline and cancellation). */
  readonly signal: AbortSignal;
  /** Absolute deadline in epoch ms, if any. */
  readonly deadline: number | undefined;
  /** Present on the server side only. */
  readonly peer: PeerInfo | undefined;
}

export interface UnaryRequest<I extends Message = Message> extends RequestCommon {
  readonly stream: false;
  readonly message: I;
}

export interface StreamRequest<I extends Message = Message> extends RequestCommon {
  readonly stream: true;
  readonly message: AsyncIterable<I>;
}

export interface UnaryResponse<O extends Message = Message> {
  readonly stream: false;
  readonly header: Metadata;
  readonly message: O;
  readonly trailer: Metadata;
}

/** `trailer` is complete once `message` has been iterated to the end. */
export interface StreamResponse<O extends Message = Message> {
  readonly stream: true;
  readonly header: Metadata;
  readonly message: AsyncIterable<O>;
  readonly trailer: Metadata;
}

export type UnaryFn = (req: UnaryRequest) => Promise<UnaryResponse>;
export type StreamFn = (req: StreamRequest) => Promise<StreamResponse>;
export type AnyFn = (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>;

export type Interceptor = (next: AnyFn) => AnyFn;

/** Wraps `fn` so the first interceptor in the list runs first (outermost). */
export function applyInterceptors(fn: AnyFn, interceptors: readonly Interceptor[]): AnyFn {
  return interceptors.reduceRight<AnyFn>((next, interceptor) => interceptor(next), fn);
}
