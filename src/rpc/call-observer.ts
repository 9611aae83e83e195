/**
 * The one hook through which telemetry sees calls (src/observability
 * implements it with OpenTelemetry; the core knows nothing of that). The rpc
 * client and the router call it at the points only they know: the call's
 * start (before the request head is sent, so a tracer can add its
 * `traceparent`), each message's serialized size, and the final status.
 * Interceptors cannot see sizes or the status of an UNIMPLEMENTED call,
 * which is why this is not an interceptor.
 */
import type { Code } from "./code.ts";
import type { Metadata } from "./metadata.ts";
import type { PeerInfo } from "./peer.ts";

export interface ObservedCallStart {
  /** "/package.Service/Method". */
  readonly path: string;
  /**
   * Request headers. On the client they are still mutable (the call's
   * context is injected here); on the server they are what arrived.
   */
  readonly header: Metadata;
  /** Server side only: who called, and over which protocol (peer.tls.alpn). */
  readonly peer?: PeerInfo;
}

/** One call as seen by an observer; every method must be cheap and must not throw. */
export interface ObservedCall {
  /** One message sent, `bytes` long serialized (before compression). */
  sent(bytes: number): void;
  /** One message received, `bytes` long after decompression. */
  received(bytes: number): void;
  /** Runs the server's handling of the call inside the call's context (the active span). */
  run<T>(fn: () => T): T;
  /** The call is over with `code`; called exactly once. */
  end(code: Code, error?: unknown): void;
}

export interface CallObserver {
  start(call: ObservedCallStart): ObservedCall;
}

/** A ClientTransport that brings the observer its calls should use (the Channel does). */
export interface ObservedTransport {
  readonly callObserver?: CallObserver | undefined;
}
