/**
 * grpc.testing.TestService as gRPC's interop server describes it
 * (doc/interop-test-descriptions.md, "Server" section): EmptyCall, UnaryCall,
 * CacheableUnaryCall, StreamingOutputCall, StreamingInputCall, FullDuplexCall,
 * HalfDuplexCall, with the Echo Status, Echo Metadata and interval_us
 * features. UnimplementedCall has no handler, so the router answers
 * UNIMPLEMENTED, which is what the unimplemented_method case checks.
 *
 * Not implemented: CompressedRequest/CompressedResponse (the handler API does
 * not expose per-message compression flags) and the auth echo fields.
 *
 * Every size and delay comes from the client, so each is bounded by a named
 * limit and rejected with INVALID_ARGUMENT past it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  type EchoStatus,
  PayloadType,
  type ResponseParameters,
  type StreamingOutputCallRequest,
  type StreamingOutputCallResponseSchema,
} from "../gen/grpc/testing/messages_pb.ts";
import type { TestService } from "../gen/grpc/testing/test_pb.ts";
import { Code, isCode } from "../rpc/code.ts";
import type { HandlerContext } from "../rpc/context.ts";
import { DEFAULT_MAX_SEND_MESSAGE_BYTES } from "../rpc/limits.ts";
import { RpcError } from "../rpc/rpc-error.ts";
import type { ServiceHandlers } from "../rpc/service-types.ts";
import { ECHO_INITIAL_HEADER, ECHO_TRAILING_HEADER } from "./interop-names.ts";
import { payloadSize, zeroPayload } from "./payload.ts";

/** Largest payload body the server builds: a response must still fit the default message limit. */
export const MAX_RESPONSE_PAYLOAD_BYTES = DEFAULT_MAX_SEND_MESSAGE_BYTES - 1024;
/** Most ResponseParameters honoured in one request (the interop cases use at most 4). */
export const MAX_RESPONSE_PARAMETERS = 1024;
/** Longest interval_us the server sleeps before one response: 10 s, in microseconds. */
export const MAX_RESPONSE_INTERVAL_US = 10_000_000;
/** Most requests HalfDuplexCall buffers before it answers. */
export const MAX_HALF_DUPLEX_REQUESTS = 1024;
/** StreamingInputCallResponse.aggregated_payload_size is an int32. */
const MAX_INT32 = 2 ** 31 - 1;
/** CacheableUnaryCall: how long a proxy may cache the response, in seconds (the spec uses 60). */
export const CACHEABLE_MAX_AGE_SECONDS = 60;
const MICROSECONDS_PER_MILLISECOND = 1000;

export interface TestServiceOptions {
  /** SimpleResponse.server_id when the client sets fill_server_id (unique per server instance). */
  readonly serverId?: string;
  /** SimpleResponse.hostname, sent with fill_server_id. */
  readonly hostname?: string;
}

type StreamResponseInit = MessageInitShape<typeof StreamingOutputCallResponseSchema>;

/** The handlers; register them with `createRouter().service(TestService, createTestServiceHandlers())`. */
export function createTestServiceHandlers(
  options?: TestServiceOptions,
): Partial<ServiceHandlers<typeof TestService>> {
  return {
    emptyCall(_req, ctx) {
      echoMetadata(ctx);
      return {};
    },

    unaryCall(req, ctx) {
      echoMetadata(ctx);
      throwEchoStatus(req.responseStatus);
      checkPayloadType(req.responseType);
      return {
        payload: zeroPayload(checkSize(req.responseSize, "response_size")),
        ...(req.fillServerId ? { serverId: options?.serverId ?? "", hostname: options?.hostname ?? "" } : {}),
      };
    },

    cacheableUnaryCall(_req, ctx) {
      echoMetadata(ctx);
      ctx.responseHeader.set("cache-control", `max-age=${CACHEABLE_MAX_AGE_SECONDS}`);
      // The body only has to differ per call: the current time in nanoseconds, as ASCII decimal.
      return { payload: { body: new TextEncoder().encode(process.hrtime.bigint().toString()) } };
    },

    async *streamingOutputCall(req, ctx) {
      echoMetadata(ctx);
      yield* respond(req, ctx);
    },

    async streamingInputCall(reqs, ctx) {
      echoMetadata(ctx);
      let aggregated = 0;
      for await (const r of reqs) {
        aggregated += payloadSize(r.payload);
        if (aggregated > MAX_INT32) {
          throw new RpcError(Code.OUT_OF_RANGE, `aggregated payload size exceeds ${MAX_INT32} bytes`);
        }
      }
      return { aggregatedPayloadSize: aggregated };
    },

    async *fullDuplexCall(reqs, ctx) {
      echoMetadata(ctx);
      for await (const req of reqs) yield* respond(req, ctx);
    },

    async *halfDuplexCall(reqs, ctx) {
      echoMetadata(ctx);
      const buffered: StreamingOutputCallRequest[] = [];
      for await (const req of reqs) {
        if (buffered.length === MAX_HALF_DUPLEX_REQUESTS) {
          throw new RpcError(
            Code.RESOURCE_EXHAUSTED,
            `HalfDuplexCall buffers at most ${MAX_HALF_DUPLEX_REQUESTS} requests`,
          );
        }
        buffered.push(req);
      }
      for (const req of buffered) yield* respond(req, ctx);
    },
  };
}

/**
 * One StreamingOutputCallRequest's answer: its Echo Status first (the server
 * then processes nothing more), then one response per ResponseParameters,
 * each after its interval_us sleep.
 */
async function* respond(
  req: StreamingOutputCallRequest,
  ctx: HandlerContext,
): AsyncGenerator<StreamResponseInit> {
  throwEchoStatus(req.responseStatus);
  checkPayloadType(req.responseType);
  if (req.responseParameters.length > MAX_RESPONSE_PARAMETERS) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `${req.responseParameters.length} response_parameters exceed the limit of ${MAX_RESPONSE_PARAMETERS}`,
    );
  }
  for (const p of req.responseParameters) {
    await waitInterval(p, ctx.signal);
    yield response(p);
  }
}

function response(p: ResponseParameters): StreamResponseInit {
  return { payload: zeroPayload(checkSize(p.size, "response_parameters.size")) };
}

async function waitInterval(p: ResponseParameters, signal: AbortSignal): Promise<void> {
  if (p.intervalUs < 0 || p.intervalUs > MAX_RESPONSE_INTERVAL_US) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `interval_us ${p.intervalUs} is outside 0..${MAX_RESPONSE_INTERVAL_US}`,
    );
  }
  if (p.intervalUs > 0) await sleep(p.intervalUs / MICROSECONDS_PER_MILLISECOND, undefined, { signal });
}

/** Echo Metadata: the initial value goes back as a header, the trailing one as a trailer. */
function echoMetadata(ctx: HandlerContext): void {
  const initial = ctx.requestHeader.get(ECHO_INITIAL_HEADER);
  if (initial !== undefined) ctx.responseHeader.set(ECHO_INITIAL_HEADER, initial);
  const trailing = ctx.requestHeader.get(ECHO_TRAILING_HEADER);
  if (trailing !== undefined) ctx.responseTrailer.set(ECHO_TRAILING_HEADER, trailing);
}

/** Echo Status: a non-zero response_status ends the call with that code and message. */
function throwEchoStatus(status: EchoStatus | undefined): void {
  if (status === undefined || status.code === Code.OK) return;
  if (!isCode(status.code)) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `response_status.code ${status.code} is not a gRPC status code`,
    );
  }
  throw new RpcError(status.code, status.message);
}

/** UnaryCall: "If the server does not support the response_type, then it should fail the RPC with INVALID_ARGUMENT". */
function checkPayloadType(type: PayloadType): void {
  if (type !== PayloadType.COMPRESSABLE) {
    throw new RpcError(Code.INVALID_ARGUMENT, `unsupported response_type ${type}`);
  }
}

function checkSize(size: number, field: string): number {
  if (size < 0 || size > MAX_RESPONSE_PAYLOAD_BYTES) {
    throw new RpcError(
      Code.INVALID_ARGUMENT,
      `${field} ${size} is outside 0..${MAX_RESPONSE_PAYLOAD_BYTES} bytes`,
    );
  }
  return size;
}
