/**
 * createClient: a typed client from a service descriptor and a transport
 * (DESIGN.md §7). Each method builds the request, applies the call's
 * deadline and AbortSignal, and runs the interceptor chain around the
 * transport call.
 */
import { create, type DescMethod, type DescService, type Message } from "@bufbuild/protobuf";
import { type CallSignal, createCallSignal, withLazySignal } from "./call-signal.ts";
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
    return callSignal;
  };
  /**
   * The request the interceptors see, written out field by field: on Node 20
   * (V8 11.3) a `{ ...common, stream, message }` literal costs about 2 µs and
   * leaves a dictionary-mode object, on which withLazySignal's defineProperty
   * costs another 3 µs (Node 24: 0.2 µs for both).
   */
  const request = <S extends boolean, M>(header: Metadata, callSignal: CallSignal, stream: S, message: M) =>
    withLazySignal(
      {
        service: method.parent,
        method,
        path,
        header,
        deadline: callSignal.deadline,
        peer: undefined,
        stream,
        message,
      },
      callSignal,
    );
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
    const callSignal = begin(callOptions);
    const header = new Metadata(callOptions?.headers);
    try {
      const res = (await chain(
        // The request's signal is made only if an interceptor or the transport call asks for it.
        request(header, callSignal, true, toAsync(requests)),
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
      return async (input: unknown, callOptions?: CallOptions) => {
        const callSignal = begin(callOptions);
        const header = new Metadata(callOptions?.headers);
        try {
          const res = (await chain(request(header, callSignal, false, toInput(input)))) as UnaryResponse;
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
