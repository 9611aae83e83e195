/**
 * The OpenTelemetry implementation of the rpc core's CallObserver
 * (src/rpc/call-observer.ts): one span per call (server: child of the
 * caller's `traceparent`; client: child of the active context, its own
 * context injected into the request metadata), per call a duration, and per
 * method running totals of messages and bytes each way and of calls in
 * progress.
 *
 * Cost per call matters (issue 10's target: <= 5% CPU per unary call with an
 * SDK installed). An SDK's synchronous record hashes its attribute set, so a
 * call records one histogram value per side and nothing else: the totals are
 * plain additions, read by observable instruments when a reader collects.
 * Attribute sets are built once per method (and status) and reused; nothing
 * is done per message but two additions.
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
} from "@opentelemetry/api";
import type { CallObserver, ObservedCall, ObservedCallStart } from "../rpc/call-observer.ts";
import { Code, codeName } from "../rpc/code.ts";
import type { PeerInfo } from "../rpc/peer.ts";
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
  CALL_DURATION_BUCKETS_S,
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
}

function durationHistogram(meter: Meter, side: "server" | "client"): Histogram {
  const server = side === "server";
  return meter.createHistogram(server ? RPC_SERVER_CALL_DURATION : RPC_CLIENT_CALL_DURATION, {
    description: server
      ? "Duration of an incoming RPC, from its request head to its status"
      : "Duration of an outgoing RPC, from its start to its status",
    unit: "s",
    advice: { explicitBucketBoundaries: CALL_DURATION_BUCKETS_S },
  });
}

/**
 * Running totals of one method over one protocol, with the attribute sets
 * its records and observations use, built once. Messages and bytes are
 * totals (counters, like go-grpc-prometheus's msg_sent_total), not a
 * histogram per call: an SDK histogram record costs a hash of its
 * attributes, and four of them per call side were most of the
 * instrumentation's cost. Per call averages are
 * rate(messages) / rate(rpc.*.call.duration count).
 */
class MethodTally {
  sentMessages = 0;
  sentBytes = 0;
  receivedMessages = 0;
  receivedBytes = 0;
  /** By status code (0..16). */
  private readonly byCode: (Attributes | undefined)[] = [];
  readonly sentAttributes: Attributes;
  readonly receivedAttributes: Attributes;

  constructor(
    readonly system: string,
    readonly method: string,
    private readonly target: Attributes,
  ) {
    this.sentAttributes = {
      [ATTR_RPC_SYSTEM_NAME]: system,
      [ATTR_RPC_METHOD]: method,
      [ATTR_PQRPC_DIRECTION]: "sent",
    };
    this.receivedAttributes = {
      [ATTR_RPC_SYSTEM_NAME]: system,
      [ATTR_RPC_METHOD]: method,
      [ATTR_PQRPC_DIRECTION]: "received",
    };
  }

  statusAttributes(code: Code): Attributes {
    let a = this.byCode[code];
    if (a === undefined) {
      const name = codeName(code);
      a = {
        [ATTR_RPC_SYSTEM_NAME]: this.system,
        [ATTR_RPC_METHOD]: this.method,
        [ATTR_RPC_RESPONSE_STATUS_CODE]: name,
        ...(code === Code.OK ? {} : { [ATTR_ERROR_TYPE]: name }),
        ...this.target,
      };
      this.byCode[code] = a;
    }
    return a;
  }
}

/** One protocol's calls in progress, and its methods' totals. */
class SystemTally {
  open = 0;
  readonly openAttributes: Attributes;
  readonly methods = new Map<string, MethodTally>();

  constructor(
    readonly name: string,
    side: "server" | "client",
  ) {
    this.openAttributes = { [ATTR_RPC_SYSTEM_NAME]: name, [ATTR_PQRPC_SIDE]: side };
  }
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
    private readonly system: SystemTally,
    private readonly method: string,
    private readonly span: Span,
    private readonly ctx: Context,
  ) {
    system.open++;
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
    this.system.open--;
    // An unknown method is "_OTHER" in metrics, so a scanner cannot grow the label set (rpc-metrics.md).
    const method = code === Code.UNIMPLEMENTED && o.side === "server" ? OTHER_METHOD : this.method;
    const tally = o.tally(this.system, method);
    tally.sentMessages += this.sentMessages;
    tally.sentBytes += this.sentBytes;
    tally.receivedMessages += this.receivedMessages;
    tally.receivedBytes += this.receivedBytes;
    o.instruments.duration.record(seconds, tally.statusAttributes(code));
    const span = this.span;
    if (span.isRecording()) {
      const name = codeName(code);
      span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, name);
      if (method === OTHER_METHOD) span.setAttribute(ATTR_RPC_METHOD_ORIGINAL, this.method);
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

/** A parsed peer address, kept per connection's PeerInfo (every call of a connection shares it). */
const peerAddresses = new WeakMap<PeerInfo, { host: string | undefined; port: number | undefined }>();

function peerHostPort(peer: PeerInfo): { host: string | undefined; port: number | undefined } {
  let a = peerAddresses.get(peer);
  if (a === undefined) {
    a = splitAddress(peer.address);
    peerAddresses.set(peer, a);
  }
  return a;
}

export class OtelCallObserver implements CallObserver {
  readonly instruments: Instruments;
  /** By rpc.system.name: calls in progress, and each method's totals. */
  private readonly systems = new Map<string, SystemTally>();
  private tallies = 0;
  private readonly targetAttrs: Attributes;
  /** Client span attributes by method (the server's carry the peer, per call). */
  private readonly clientSpanSets = new Map<string, Attributes>();

  constructor(
    readonly side: "server" | "client",
    meter: Meter,
    private readonly tracer: Tracer,
    private readonly target: ClientCallTarget | undefined,
  ) {
    this.instruments = { duration: durationHistogram(meter, side) };
    this.targetAttrs = targetAttributes(target);
    const server = side === "server";
    const messages = meter.createObservableCounter(
      server ? PQRPC_SERVER_CALL_MESSAGES : PQRPC_CLIENT_CALL_MESSAGES,
      {
        description: "Messages of finished calls, by direction",
        unit: "{message}",
      },
    );
    const bytes = meter.createObservableCounter(server ? PQRPC_SERVER_CALL_BYTES : PQRPC_CLIENT_CALL_BYTES, {
      description: "Serialized message bytes of finished calls (before compression), by direction",
      unit: "By",
    });
    const open = meter.createObservableUpDownCounter(PQRPC_STREAMS_OPEN, {
      description: "Calls (streams) in progress",
      unit: "{stream}",
    });
    meter.addBatchObservableCallback(
      (result) => {
        for (const system of this.systems.values()) {
          result.observe(open, system.open, system.openAttributes);
          for (const t of system.methods.values()) {
            result.observe(messages, t.sentMessages, t.sentAttributes);
            result.observe(messages, t.receivedMessages, t.receivedAttributes);
            result.observe(bytes, t.sentBytes, t.sentAttributes);
            result.observe(bytes, t.receivedBytes, t.receivedAttributes);
          }
        }
      },
      [messages, bytes, open],
    );
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
      return new CallRecorder(this, this.systemEntry(system), method, span, trace.setSpan(parent, span));
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
    return new CallRecorder(this, this.systemEntry(system), method, span, ctx);
  }

  private systemEntry(system: string): SystemTally {
    let e = this.systems.get(system);
    if (e === undefined) {
      e = new SystemTally(system, this.side);
      this.systems.set(system, e);
    }
    return e;
  }

  /** The totals of `method` over `system`; past the cap on methods, "_OTHER"'s. */
  tally(system: SystemTally, method: string): MethodTally {
    let t = system.methods.get(method);
    if (t === undefined) {
      if (this.tallies >= MAX_CACHED_ATTRIBUTE_SETS && method !== OTHER_METHOD) {
        return this.tally(system, OTHER_METHOD);
      }
      t = new MethodTally(system.name, method, this.targetAttrs);
      system.methods.set(method, t);
      this.tallies++;
    }
    return t;
  }

  private serverSpanAttributes(system: string, method: string, call: ObservedCallStart): Attributes {
    const peer = call.peer === undefined ? undefined : peerHostPort(call.peer);
    return {
      [ATTR_RPC_SYSTEM_NAME]: system,
      [ATTR_RPC_METHOD]: method,
      ...(peer?.host === undefined ? {} : { [ATTR_NETWORK_PEER_ADDRESS]: peer.host }),
      ...(peer?.port === undefined ? {} : { [ATTR_NETWORK_PEER_PORT]: peer.port }),
    };
  }

  private clientSpanAttributes(system: string, method: string): Attributes {
    // One observer per channel: `system` is the same for all its calls, so the method is the key.
    const cached = this.clientSpanSets.get(method);
    if (cached !== undefined) return cached;
    const a = { [ATTR_RPC_SYSTEM_NAME]: system, [ATTR_RPC_METHOD]: method, ...this.targetAttrs };
    if (this.clientSpanSets.size < MAX_CACHED_ATTRIBUTE_SETS) this.clientSpanSets.set(method, a);
    return a;
  }
}

function targetAttributes(t: ClientCallTarget | undefined): Attributes {
  if (t === undefined) return {};
  return {
    ...(t.serverAddress === undefined ? {} : { [ATTR_SERVER_ADDRESS]: t.serverAddress }),
    ...(t.serverPort === undefined ? {} : { [ATTR_SERVER_PORT]: t.serverPort }),
  };
}
