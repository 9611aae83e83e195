/**
 * createClient: a typed client from a service descriptor and a transport
 * (DESIGN.md §7). Each method builds the request, applies the call's
 * deadline and AbortSignal, and runs the interceptor chain around the
 * transport call.
 */
import { create, type DescMethod, type DescService, type Message } from "@bufbuild/protobuf";
import { createCallSignal, withLazySignal } from "./call-signal.ts";
import { createTransportCall } from "./client-call.ts";
import { Code } from "./code.ts";
import { type AnyFn, applyInterceptors, type StreamResponse, type UnaryResponse } from "./interceptor.ts";
import { Metadata } from "./metadata.ts";
import { type ClientOptions, resolveCallPathOptions } from "./options.ts";
import { RpcError } from "./rpc-error.ts";
import { type CallOptions, type Client, methodPath } from "./service-types.ts";
import type { ClientTransport } from "./transport.ts";

export function createClient<S extends DescService>(
  service: S,
  transport: ClientTransport,
  options?: ClientOptions,
): Client<S> {
  const resolved = resolveCallPathOptions(options);
  const chain = applyInterceptors(
    createTransportCall(transport, options?.format ?? "proto", resolved),
    resolved.interceptors,
  );
  const client: Record<string, unknown> = {};
  for (const method of service.methods) {
    client[method.localName] = createMethod(method, chain, options?.defaultTimeoutMs);
  }
  return client as Client<S>;
}

function createMethod(method: DescMethod, chain: AnyFn, defaultTimeoutMs: number | undefined) {
  const path = methodPath(method);
  const begin = (callOptions: CallOptions | undefined) => {
    const timeoutMs = callOptions?.timeoutMs ?? defaultTimeoutMs;
    const callSignal = createCallSignal({
      deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
      parents: [callOptions?.signal],
    });
    const common = {
      service: method.parent,
      method,
      path,
      header: new Metadata(callOptions?.headers),
      deadline: callSignal.deadline,
      peer: undefined,
    };
    return { callSignal, common };
  };
  const toInput = (init: unknown) => create(method.input, init as never) as Message;
  const report = (e: unknown, callOptions: CallOptions | undefined): RpcError => {
    const err = RpcError.from(e, Code.UNKNOWN);
    callOptions?.onTrailer?.(err.metadata);
    return err;
  };

  async function* streamed(
    requests: AsyncIterable<Message> | Message[],
    callOptions: CallOptions | undefined,
  ): AsyncGenerator<Message> {
    const { callSignal, common } = begin(callOptions);
    try {
      const res = (await chain(
        // The request's signal is made only if an interceptor or the transport call asks for it.
        withLazySignal({ ...common, stream: true, message: toAsync(requests) }, callSignal),
      )) as StreamResponse;
      callOptions?.onHeader?.(res.header);
      yield* res.message;
      callOptions?.onTrailer?.(res.trailer);
    } catch (e) {
      throw report(e, callOptions);
    } finally {
      callSignal.dispose();
    }
  }

  switch (method.methodKind) {
    case "unary":
      return async (request: unknown, callOptions?: CallOptions) => {
        const { callSignal, common } = begin(callOptions);
        try {
          const res = (await chain(
            withLazySignal({ ...common, stream: false, message: toInput(request) }, callSignal),
          )) as UnaryResponse;
          callOptions?.onHeader?.(res.header);
          callOptions?.onTrailer?.(res.trailer);
          return res.message;
        } catch (e) {
          throw report(e, callOptions);
        } finally {
          callSignal.dispose();
        }
      };
    case "server_streaming":
      return (request: unknown, callOptions?: CallOptions) => streamed([toInput(request)], callOptions);
    case "client_streaming":
      return async (requests: AsyncIterable<unknown>, callOptions?: CallOptions) => {
        let reply: Message | undefined;
        for await (const m of streamed(mapAsync(requests, toInput), callOptions)) {
          if (reply !== undefined) {
            throw new RpcError(
              Code.INTERNAL,
              "protocol error: client-streaming call received a second message",
            );
          }
          reply = m;
        }
        if (reply === undefined) {
          throw new RpcError(
            Code.INTERNAL,
            "protocol error: client-streaming call ended without a response message",
          );
        }
        return reply;
      };
    case "bidi_streaming":
      return (requests: AsyncIterable<unknown>, callOptions?: CallOptions) =>
        streamed(mapAsync(requests, toInput), callOptions);
  }
}

async function* toAsync<T>(items: AsyncIterable<T> | T[]): AsyncGenerator<T> {
  yield* items;
}

async function* mapAsync<T, U>(items: AsyncIterable<T>, fn: (item: T) => U): AsyncGenerator<U> {
  for await (const item of items) yield fn(item);
}
