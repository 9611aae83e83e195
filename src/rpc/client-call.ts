/**
 * The innermost step of a client call, below the interceptors: it opens a
 * transport call, pumps request messages (serialize, size-check, compress)
 * with backpressure, and turns the response events back into messages, a
 * header, a trailer and, for a non-OK status, an RpcError.
 */
import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { ObservedCall } from "./call-observer.ts";
import { callSignalOf } from "./call-signal.ts";
import { Code } from "./code.ts";
import { IDENTITY } from "./compression.ts";
import type { AnyFn, StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from "./interceptor.ts";
import {
  decodeMessage,
  decodeUncompressed,
  encodeMessage,
  encodeUncompressed,
  type MessageCodecConfig,
  resolveReceiveCompression,
} from "./message-codec.ts";
import { Metadata } from "./metadata.ts";
import type { ResolvedCallPathOptions } from "./options.ts";
import { RpcError } from "./rpc-error.ts";
import { createSerializer, type SerializationFormat, type Serializer } from "./serialization.ts";
import type { ClientReadEvent, ClientTransport } from "./transport.ts";

export function createTransportCall(
  transport: ClientTransport,
  format: SerializationFormat,
  options: ResolvedCallPathOptions,
): AnyFn {
  const serializers = new Map<DescMessage, Serializer<DescMessage>>();
  const serializerOf = (schema: DescMessage) => {
    let s = serializers.get(schema);
    if (!s) serializers.set(schema, (s = createSerializer(schema, format, options.serialization)));
    return s;
  };
  const acceptNames = options.acceptCompression.map((c) => c.name);
  const observer = options.callObserver;
  if (observer === undefined) return (req) => callOnce(req, undefined);
  return async (req) => {
    // Started before the head is built, so the observer can add its trace context headers.
    const observed = once(observer.start({ path: req.path, header: req.header }));
    try {
      return await callOnce(req, observed);
    } catch (e) {
      observed.end(RpcError.from(e, Code.UNKNOWN).code, e);
      throw e;
    }
  };

  async function callOnce(
    req: UnaryRequest | StreamRequest,
    observed: ObservedCall | undefined,
  ): Promise<UnaryResponse | StreamResponse> {
    // The CallSignal behind req.signal when no interceptor replaced it: no AbortSignal is made for it.
    const callSignal = callSignalOf(req);
    if (callSignal === undefined) req.signal.throwIfAborted();
    else if (callSignal.reason !== undefined) throw callSignal.reason;
    const headerBytes = req.header.byteSize();
    if (headerBytes > options.maxMetadataBytes) {
      throw new RpcError(
        Code.RESOURCE_EXHAUSTED,
        `request headers of ${headerBytes} bytes exceed the limit of ${options.maxMetadataBytes} bytes`,
      );
    }
    const timeoutMs = req.deadline === undefined ? undefined : req.deadline - Date.now();
    if (timeoutMs !== undefined && timeoutMs <= 0)
      throw new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded");
    const input = serializerOf(req.method.input);
    const output = serializerOf(req.method.output);
    const codec: MessageCodecConfig & { receiveCompression: MessageCodecConfig["receiveCompression"] } = {
      maxSendBytes: options.maxSendMessageBytes,
      maxReceiveBytes: options.maxReceiveMessageBytes,
      sendCompression: options.sendCompression,
      compressMinBytes: options.compressMinBytes,
      receiveCompression: undefined,
    };
    const call = transport.openCall({
      path: req.path,
      metadata: req.header,
      timeoutMs,
      format,
      encoding: options.sendCompression?.name ?? IDENTITY,
      acceptEncoding: acceptNames,
    });
    const state = { finished: false };
    const fail = (e: unknown, code: Code): RpcError => {
      const err = RpcError.from(e, code);
      if (!state.finished) {
        state.finished = true;
        call.cancel(err);
        observed?.end(err.code, err);
      }
      return err;
    };
    let release: () => void;
    if (callSignal === undefined) {
      const onAbort = () => fail(req.signal.reason, Code.CANCELLED);
      req.signal.addEventListener("abort", onAbort, { once: true });
      release = () => req.signal.removeEventListener("abort", onAbort);
    } else release = callSignal.onAbort((reason) => fail(reason, Code.CANCELLED));

    // Request pump: runs beside the reader so full-duplex calls work; its
    // failure cancels the call, which makes the reader fail with the same error.
    // Not async: serializing and the send limit throw at once (to the pump's catch).
    const sendOne = (m: Message): Promise<void> => {
      const bytes = input.serialize(m);
      observed?.sent(bytes.length);
      const plain = encodeUncompressed(bytes, codec);
      if (plain !== undefined) return call.send(plain);
      return encodeMessage(bytes, codec).then((wire) => call.send(wire));
    };
    const failSend = (e: unknown) => {
      fail(e, Code.UNKNOWN);
    };
    if (req.stream) {
      void (async () => {
        try {
          for await (const m of req.message) {
            if (state.finished) return;
            await sendOne(m);
          }
          if (!state.finished) await call.closeSend();
        } catch (e) {
          failSend(e);
        }
      })();
    } else {
      // One message: no iterator over a one-element array, and no async pump (their promises cost per call).
      try {
        sendOne(req.message)
          .then(() => (state.finished ? undefined : call.closeSend()))
          .then(undefined, failSend);
      } catch (e) {
        failSend(e);
      }
    }

    let first: ClientReadEvent;
    try {
      try {
        first = await call.read();
      } catch (e) {
        throw fail(e, Code.UNAVAILABLE);
      }
      if (first.type === "header") {
        try {
          codec.receiveCompression = resolveReceiveCompression(
            first.head.encoding,
            options.acceptCompression,
          );
        } catch (e) {
          // The server chose an encoding we never offered: a protocol error on our side.
          throw fail(new RpcError(Code.INTERNAL, (e as RpcError).rawMessage), Code.INTERNAL);
        }
      } else if (first.type === "message") {
        throw fail(
          new RpcError(Code.INTERNAL, "protocol error: message before response headers"),
          Code.INTERNAL,
        );
      }
    } catch (e) {
      release();
      throw e;
    }
    const header = first.type === "header" ? first.head.metadata : new Metadata();
    const trailer = new Metadata();

    // The event after the header: the trailer may have come first (a trailers-only response).
    let pending: ClientReadEvent | undefined = first.type === "trailer" ? first : undefined;
    /** The next response message, or undefined once the trailer said OK (else it throws its status). */
    const nextMessage = async (): Promise<Message | undefined> => {
      let ev = pending;
      pending = undefined;
      if (ev === undefined) {
        try {
          ev = await call.read();
        } catch (e) {
          throw fail(e, Code.UNAVAILABLE);
        }
      }
      if (ev.type === "message") {
        try {
          const bytes = decodeUncompressed(ev.message, codec) ?? (await decodeMessage(ev.message, codec));
          observed?.received(bytes.length);
          return output.parse(bytes);
        } catch (e) {
          throw fail(e, Code.INTERNAL);
        }
      }
      if (ev.type === "header") {
        throw fail(new RpcError(Code.INTERNAL, "protocol error: second response header"), Code.INTERNAL);
      }
      state.finished = true;
      trailer.merge(ev.trailer.metadata);
      const status = ev.trailer.status;
      observed?.end(status.code);
      if (status.code !== Code.OK) {
        throw new RpcError(status.code, status.message, { metadata: trailer, details: status.details });
      }
      return undefined;
    };
    const finish = () => {
      // Leaving early (break, or an error from the consumer) abandons the call. Only then:
      // building an RpcError (a stack trace) on every finished call is measurable per call.
      if (!state.finished)
        fail(new RpcError(Code.CANCELLED, "client stopped reading the response"), Code.CANCELLED);
      release();
    };

    async function* receive(): AsyncGenerator<Message> {
      try {
        for (;;) {
          const m = await nextMessage();
          if (m === undefined) return;
          yield m;
        }
      } finally {
        finish();
      }
    }

    if (req.stream) return { stream: true, header, message: receive(), trailer };
    // Unary response: two reads without an async generator (its promises cost per call).
    let reply: Message | undefined;
    try {
      reply = await nextMessage();
      if (reply === undefined) {
        throw new RpcError(Code.INTERNAL, "protocol error: unary call ended without a response message", {
          metadata: trailer,
        });
      }
      if ((await nextMessage()) !== undefined) {
        throw fail(
          new RpcError(Code.INTERNAL, "protocol error: unary call received a second message"),
          Code.INTERNAL,
        );
      }
    } finally {
      finish();
    }
    return { stream: false, header, message: reply, trailer };
  }
}

/** `call` whose end() takes effect once: the first outcome of a call is its outcome. */
function once(call: ObservedCall): ObservedCall {
  let ended = false;
  return {
    sent: (bytes) => call.sent(bytes),
    received: (bytes) => call.received(bytes),
    run: (fn) => call.run(fn),
    end(code, error) {
      if (ended) return;
      ended = true;
      call.end(code, error);
    },
  };
}
