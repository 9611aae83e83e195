/**
 * The OpenTelemetry implementation of the rpc core's CallObserver
 * (src/rpc/call-observer.ts): one span per call (server: child of the
 * caller's `traceparent`; client: child of the active context, its own
 * context injected into the request metadata), and per call a duration, a
 * message count and a byte count each way.
 *
 * Cost per call matters (issue 10's target: <= 5% CPU per unary call with an
 * SDK installed): attribute sets are built once per method and status and
 * reused, and nothing is done per message but two additions.
 */
import {
  type Attributes,
  type Context,
  context,
  type Histogram,
  type Meter,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
  type UpDownCounter,
} from "@opentelemetry/api";
import type { CallObserver, ObservedCall, ObservedCallStart } from "../rpc/call-observer.ts";
import { Code, codeName } from "../rpc/code.ts";
import { metadataGetter, metadataSetter } from "./metadata-carrier.ts";
import {
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_PQRPC_DIRECTION,
  ATTR_PQRPC_SIDE,
  ATTR_RPC_METHOD,
  ATTR_RPC_METHOD_ORIGINAL,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  BYTE_BUCKETS,
  CALL_DURATION_BUCKETS_S,
  MESSAGE_COUNT_BUCKETS,
  OTHER_METHOD,
  PQRPC_CLIENT_CALL_BYTES,
  PQRPC_CLIENT_CALL_MESSAGES,
  PQRPC_SERVER_CALL_BYTES,
  PQRPC_SERVER_CALL_MESSAGES,
  PQRPC_STREAMS_OPEN,
  RPC_CLIENT_CALL_DURATION,
  RPC_SERVER_CALL_DURATION,
  RPC_SYSTEM_GRPC,
  RPC_SYSTEM_PQRPC,
} from "./semconv.ts";

/** Distinct attribute sets kept per observer; past it they are built per call (a client calling arbitrary paths). */
const MAX_CACHED_ATTRIBUTE_SETS = 4096;
const MS_PER_S = 1000;

/**
 * Server-side status codes that mark the span as an error (rpc-spans.md:
 * for gRPC servers, only those that point at the server).
 */
const SERVER_ERROR_CODES: ReadonlySet<Code> = new Set([
  Code.UNKNOWN,
  Code.DEADLINE_EXCEEDED,
  Code.UNIMPLEMENTED,
  Code.INTERNAL,
  Code.UNAVAILABLE,
  Code.DATA_LOSS,
]);

/** rpc.system.name from the ALPN of the connection the call came on ("h2" is gRPC; pqrpc/1 and in-memory are ours). */
export function rpcSystemOf(alpn: string | undefined): string {
  return alpn === "h2" ? RPC_SYSTEM_GRPC : RPC_SYSTEM_PQRPC;
}

/** "host:port" or "[v6]:port" into its parts; undefined parts when it is not an address. */
export function splitAddress(address: string): { host: string | undefined; port: number | undefined } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(address);
  if (m === null) return { host: address || undefined, port: undefined };
  return { host: m[1], port: Number(m[2]) };
}

interface Instruments {
  readonly duration: Histogram;
  readonly messages: Histogram;
  readonly bytes: Histogram;
  readonly open: UpDownCounter;
}

function instruments(meter: Meter, side: "server" | "client"): Instruments {
  const server = side === "server";
  return {
    duration: meter.createHistogram(server ? RPC_SERVER_CALL_DURATION : RPC_CLIENT_CALL_DURATION, {
      description: server
        ? "Duration of an incoming RPC, from its request head to its status"
        : "Duration of an outgoing RPC, from its start to its status",
      unit: "s",
      advice: { explicitBucketBoundaries: CALL_DURATION_BUCKETS_S },
    }),
    messages: meter.createHistogram(server ? PQRPC_SERVER_CALL_MESSAGES : PQRPC_CLIENT_CALL_MESSAGES, {
      description: "Messages per call, by direction",
      unit: "{message}",
      advice: { explicitBucketBoundaries: MESSAGE_COUNT_BUCKETS },
    }),
    bytes: meter.createHistogram(server ? PQRPC_SERVER_CALL_BYTES : PQRPC_CLIENT_CALL_BYTES, {
      description: "Serialized message bytes per call (before compression), by direction",
      unit: "By",
      advice: { explicitBucketBoundaries: BYTE_BUCKETS },
    }),
    open: meter.createUpDownCounter(PQRPC_STREAMS_OPEN, {
      description: "Calls (streams) in progress",
      unit: "{stream}",
    }),
  };
}

/** Attribute sets by key, built once. */
class AttributeCache {
  private readonly sets = new Map<string, Attributes>();
  get(key: string, build: () => Attributes): Attributes {
    let a = this.sets.get(key);
    if (a === undefined) {
      a = build();
      if (this.sets.size < MAX_CACHED_ATTRIBUTE_SETS) this.sets.set(key, a);
    }
    return a;
  }
}

interface CallAttributes {
  readonly system: string;
  readonly method: string;
}

/** What both sides share: counting, the end of the span, the metrics at the end. */
class CallRecorder implements ObservedCall {
  private sentMessages = 0;
  private sentBytes = 0;
  private receivedMessages = 0;
  private receivedBytes = 0;
  private readonly startedAt = performance.now();

  constructor(
    private readonly observer: OtelCallObserver,
    private readonly call: CallAttributes,
    private readonly span: Span,
    private readonly ctx: Context,
  ) {
    observer.instruments.open.add(1, observer.openAttributes(call.system));
  }

  sent(bytes: number): void {
    this.sentMessages++;
    this.sentBytes += bytes;
  }

  received(bytes: number): void {
    this.receivedMessages++;
    this.receivedBytes += bytes;
  }

  run<T>(fn: () => T): T {
    return context.with(this.ctx, fn);
  }

  end(code: Code, error?: unknown): void {
    const o = this.observer;
    const seconds = (performance.now() - this.startedAt) / MS_PER_S;
    // An unknown method is "_OTHER" in metrics, so a scanner cannot grow the label set (rpc-metrics.md).
    const method = code === Code.UNIMPLEMENTED && o.side === "server" ? OTHER_METHOD : this.call.method;
    const { system } = this.call;
    const i = o.instruments;
    i.duration.record(seconds, o.statusAttributes(system, method, code));
    i.messages.record(this.sentMessages, o.directionAttributes(system, method, "sent"));
    i.messages.record(this.receivedMessages, o.directionAttributes(system, method, "received"));
    i.bytes.record(this.sentBytes, o.directionAttributes(system, method, "sent"));
    i.bytes.record(this.receivedBytes, o.directionAttributes(system, method, "received"));
    i.open.add(-1, o.openAttributes(system));
    const span = this.span;
    if (span.isRecording()) {
      const name = codeName(code);
      span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, name);
      if (method === OTHER_METHOD) span.setAttribute(ATTR_RPC_METHOD_ORIGINAL, this.call.method);
      const isError = o.side === "server" ? SERVER_ERROR_CODES.has(code) : code !== Code.OK;
      if (isError) {
        span.setAttribute(ATTR_ERROR_TYPE, name);
        span.setStatus({
          code: SpanStatusCode.ERROR,
          ...(error instanceof Error ? { message: error.message } : {}),
        });
      }
    }
    span.end();
  }
}

/** Where a client's calls go (rpc.system.name from the channel's protocol). */
export interface ClientCallTarget {
  readonly system: string;
  readonly serverAddress?: string;
  readonly serverPort?: number;
}

export class OtelCallObserver implements CallObserver {
  readonly instruments: Instruments;
  private readonly statusSets = new AttributeCache();
  private readonly directionSets = new AttributeCache();
  private readonly openSets = new AttributeCache();

  constructor(
    readonly side: "server" | "client",
    meter: Meter,
    private readonly tracer: Tracer,
    private readonly target: ClientCallTarget | undefined,
  ) {
    this.instruments = instruments(meter, side);
  }

  start(call: ObservedCallStart): ObservedCall {
    // "/pkg.Service/Method" -> "pkg.Service/Method", the conventions' rpc.method.
    const method = call.path.startsWith("/") ? call.path.slice(1) : call.path;
    if (this.side === "server") {
      const system = rpcSystemOf(call.peer?.tls?.alpn);
      const parent = propagation.extract(ROOT_CONTEXT, call.header, metadataGetter);
      const span = this.tracer.startSpan(
        method,
        { kind: SpanKind.SERVER, attributes: this.serverSpanAttributes(system, method, call) },
        parent,
      );
      return new CallRecorder(this, { system, method }, span, trace.setSpan(parent, span));
    }
    const system = this.target?.system ?? RPC_SYSTEM_PQRPC;
    const parent = context.active();
    const span = this.tracer.startSpan(
      method,
      { kind: SpanKind.CLIENT, attributes: this.clientSpanAttributes(system, method) },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    propagation.inject(ctx, call.header, metadataSetter);
    return new CallRecorder(this, { system, method }, span, ctx);
  }

  statusAttributes(system: string, method: string, code: Code): Attributes {
    return this.statusSets.get(`${system}\0${method}\0${code}`, () => {
      const name = codeName(code);
      return {
        [ATTR_RPC_SYSTEM_NAME]: system,
        [ATTR_RPC_METHOD]: method,
        [ATTR_RPC_RESPONSE_STATUS_CODE]: name,
        ...(code === Code.OK ? {} : { [ATTR_ERROR_TYPE]: name }),
        ...this.targetAttributes(),
      };
    });
  }

  directionAttributes(system: string, method: string, direction: "sent" | "received"): Attributes {
    return this.directionSets.get(`${system}\0${method}\0${direction}`, () => ({
      [ATTR_RPC_SYSTEM_NAME]: system,
      [ATTR_RPC_METHOD]: method,
      [ATTR_PQRPC_DIRECTION]: direction,
    }));
  }

  openAttributes(system: string): Attributes {
    return this.openSets.get(system, () => ({
      [ATTR_RPC_SYSTEM_NAME]: system,
      [ATTR_PQRPC_SIDE]: this.side,
    }));
  }

  private targetAttributes(): Attributes {
    const t = this.target;
    if (t === undefined) return {};
    return {
      ...(t.serverAddress === undefined ? {} : { [ATTR_SERVER_ADDRESS]: t.serverAddress }),
      ...(t.serverPort === undefined ? {} : { [ATTR_SERVER_PORT]: t.serverPort }),
    };
  }

  private serverSpanAttributes(system: string, method: string, call: ObservedCallStart): Attributes {
    const peer = call.peer === undefined ? undefined : splitAddress(call.peer.address);
    return {
      [ATTR_RPC_SYSTEM_NAME]: system,
      [ATTR_RPC_METHOD]: method,
      ...(peer?.host === undefined ? {} : { [ATTR_NETWORK_PEER_ADDRESS]: peer.host }),
      ...(peer?.port === undefined ? {} : { [ATTR_NETWORK_PEER_PORT]: peer.port }),
    };
  }

  private clientSpanAttributes(system: string, method: string): Attributes {
    return { [ATTR_RPC_SYSTEM_NAME]: system, [ATTR_RPC_METHOD]: method, ...this.targetAttributes() };
  }
}
