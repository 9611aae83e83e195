/**
 * pqrpc/1 server side of the rpc transport contract: a server FrameSession
 * on a carrier, turning each stream into a ServerCallStream for the rpc
 * router's CallHandler. A malformed request head is answered with
 * TRAILERS (INTERNAL), as gRPC servers answer malformed reserved headers.
 */

import type { Duplex } from "node:stream";
import { notifyAbort } from "../../rpc/call-signal.ts";
import { Code } from "../../rpc/code.ts";
import { type PeerInfo, peerAddress } from "../../rpc/peer.ts";
import type { ReceiveBudget } from "../../rpc/receive-budget.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import type {
  CallHandler,
  RequestHead,
  ResponseHead,
  ResponseTrailer,
  ServerCallStream,
  ServerReadEvent,
  WireMessage,
} from "../../rpc/transport.ts";
import { ALPN_PQRPC_1 } from "./constants.ts";
import type { FrameStream, StreamEvent } from "./frame-stream.ts";
import { requestHeadFromFields, responseHeadToFields } from "./headers.ts";
import { rpcCodeForStreamError, toRpcError } from "./rpc-errors.ts";
import { FrameSession, type FrameSessionOptions } from "./session.ts";
import { trailerToFields } from "./trailer-status.ts";

export interface FramesServerOptions
  extends Omit<FrameSessionOptions, "role" | "onStream" | "receiveBudget"> {
  /** Who the client is (address, TLS facts); default: the carrier's remote address. */
  peer?: PeerInfo;
  /** The server-wide receive budget this connection's held message bytes draw from (shared with h2). */
  receiveBudget?: ReceiveBudget;
}

/** Serves rpc calls over pqrpc/1 on `carrier`; returns the session (close() it for a graceful shutdown). */
export function serveFrames(
  carrier: Duplex,
  handler: CallHandler,
  options: FramesServerOptions = {},
): FrameSession {
  const peer: PeerInfo = options.peer ?? {
    address: peerAddress(carrier as Parameters<typeof peerAddress>[0]) ?? "unknown",
    tls: { alpn: ALPN_PQRPC_1 },
  };
  const { receiveBudget, ...rest } = options;
  // Evicted when the server's budget is used up and this connection holds the most (GOAWAY ENHANCE_YOUR_CALM).
  const account = receiveBudget?.open((detail) => session.evict(detail));
  const session: FrameSession = new FrameSession(carrier, {
    ...rest,
    ...(account === undefined ? {} : { receiveBudget: account }),
    role: "server",
    // A reset stream whose handler still runs keeps its slot (CVE-2025-8671).
    holdStreamsUntilReleased: true,
    onStream: (stream) => {
      // then(release, release), not finally(): one promise instead of finally's four.
      const release = () => session.release(stream);
      accept(stream, handler, peer).then(release, release);
    },
  });
  return session;
}

async function accept(stream: FrameStream, handler: CallHandler, peer: PeerInfo): Promise<void> {
  let head: RequestHead;
  try {
    const first = await stream.read();
    if (first?.type !== "headers") throw new RpcError(Code.INTERNAL, "a stream without request headers");
    head = requestHeadFromFields(first.fields);
  } catch (e) {
    const error = toRpcError(e);
    await stream.sendTrailers(error.code, error.rawMessage).catch(() => {});
    return;
  }
  const call = new FramesServerCall(stream, head, peer);
  try {
    await handler(call);
  } catch {
    // The router answers every handler failure itself; anything left is a transport failure already reported.
  }
}

/** Maps a FrameStream failure to the RpcError the router expects (one shared function: no closure per call). */
function rethrowAsRpcError(e: unknown): never {
  throw toRpcError(e);
}

const DONE: Promise<void> = Promise.resolve();

class FramesServerCall implements ServerCallStream {
  private finished = false;
  /** Why the call was aborted (peer reset, connection lost), once it was. */
  private aborted: RpcError | undefined;
  /** Made only if someone reads `signal` (the router uses onAbort): most calls never need one. */
  private controller: AbortController | undefined;
  private abortListeners: Set<(reason: RpcError) => void> | undefined;

  constructor(
    private readonly stream: FrameStream,
    readonly head: RequestHead,
    readonly peer: PeerInfo,
  ) {
    stream.onFail = (e) => {
      if (!this.finished) this.abort(new RpcError(rpcCodeForStreamError(e), e.message, { cause: e }));
    };
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted !== undefined) this.controller.abort(this.aborted);
    }
    return this.controller.signal;
  }

  get abortReason(): RpcError | undefined {
    return this.aborted;
  }

  onAbort(listener: (reason: RpcError) => void): () => void {
    if (this.aborted !== undefined) return noop;
    const listeners = (this.abortListeners ??= new Set());
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  private abort(reason: RpcError): void {
    if (this.aborted !== undefined) return;
    this.aborted = reason;
    const listeners = this.abortListeners;
    this.abortListeners = undefined;
    if (listeners !== undefined) notifyAbort(listeners, reason);
    this.controller?.abort(reason);
  }

  read(): Promise<ServerReadEvent> {
    return this.stream.read().then(toServerReadEvent, rethrowAsRpcError);
  }

  // The sends return the stream's own promise mapped once: no async wrapper and no await per send.
  sendHeader(head: ResponseHead): Promise<void> {
    if (this.finished) return DONE;
    try {
      return this.stream.sendHeaders(responseHeadToFields(head)).catch(rethrowAsRpcError);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  send(message: WireMessage): Promise<void> {
    if (this.finished) return DONE;
    return this.stream.send(message.data, { compressed: message.compressed }).catch(rethrowAsRpcError);
  }

  sendTrailer(trailer: ResponseTrailer): Promise<void> {
    if (this.finished) return DONE;
    this.finished = true;
    const { status } = trailer;
    try {
      return this.stream
        .sendTrailers(status.code, status.message, trailerToFields(trailer))
        .catch(rethrowAsRpcError);
    } catch (e) {
      return Promise.reject(e);
    }
  }
}

function toServerReadEvent(event: StreamEvent | undefined): ServerReadEvent {
  if (event === undefined) return { type: "end" };
  if (event.type === "message")
    return { type: "message", message: { data: event.data, compressed: event.compressed } };
  throw new RpcError(Code.INTERNAL, `unexpected ${event.type} from the client`);
}

function noop(): void {}
