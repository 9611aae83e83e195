/**
 * An in-memory ClientTransport that hands each call straight to a router's
 * CallHandler, with the same contract a wire protocol has: bounded queues in
 * both directions (backpressure), the timeout passed as grpc-timeout text,
 * metadata and message bytes copied (nothing shared between the sides),
 * cancellation in both directions. For tests and for in-process services.
 */

import { AsyncQueue } from "./async-queue.ts";
import { Code } from "./code.ts";
import { Metadata } from "./metadata.ts";
import type { PeerInfo } from "./peer.ts";
import { RpcError } from "./rpc-error.ts";
import { decodeTimeout, encodeTimeout } from "./timeout-header.ts";
import type {
  CallHandler,
  ClientCallStream,
  ClientReadEvent,
  ClientTransport,
  RequestHead,
  ResponseHead,
  ServerCallStream,
  ServerReadEvent,
  WireMessage,
} from "./transport.ts";

/** Messages buffered per direction before `send` waits. */
export const DEFAULT_ROUTER_TRANSPORT_HIGH_WATER_MARK = 16;

export interface RouterTransportOptions {
  readonly highWaterMark?: number;
  readonly peer?: PeerInfo;
}

const copyMessage = (m: WireMessage): WireMessage => ({ data: m.data.slice(), compressed: m.compressed });
const copyMetadata = (md: Metadata): Metadata => new Metadata(md, { allowReserved: true });

export function createRouterTransport(
  handler: CallHandler | { handle: CallHandler },
  options?: RouterTransportOptions,
): ClientTransport {
  const handle = typeof handler === "function" ? handler : handler.handle;
  const hwm = options?.highWaterMark ?? DEFAULT_ROUTER_TRANSPORT_HIGH_WATER_MARK;
  const peer = options?.peer ?? { address: "in-memory" };
  return {
    openCall(head: RequestHead): ClientCallStream {
      const toServer = new AsyncQueue<ServerReadEvent>(hwm);
      const toClient = new AsyncQueue<ClientReadEvent>(hwm);
      const serverAbort = new AbortController();
      let serverDone = false;
      let clientDone = false;
      const serverHead: RequestHead = {
        ...head,
        metadata: copyMetadata(head.metadata),
        // Through the same text a wire carries, so rounding is exercised.
        timeoutMs: head.timeoutMs === undefined ? undefined : decodeTimeout(encodeTimeout(head.timeoutMs)),
        acceptEncoding: [...head.acceptEncoding],
      };
      const server: ServerCallStream = {
        head: serverHead,
        peer,
        signal: serverAbort.signal,
        read: () => toServer.shift(),
        async sendHeader(h: ResponseHead) {
          if (serverDone) return;
          await toClient.push({ type: "header", head: { ...h, metadata: copyMetadata(h.metadata) } });
        },
        async send(m) {
          if (serverDone) return;
          await toClient.push({ type: "message", message: copyMessage(m) });
        },
        async sendTrailer(t) {
          if (serverDone) return;
          serverDone = true;
          // After the trailer the server reads nothing more (it may finish before the client half-closes).
          toServer.fail(new RpcError(Code.CANCELLED, "call already finished"));
          const trailer = {
            status: { ...t.status, details: [...t.status.details] },
            metadata: copyMetadata(t.metadata),
          };
          await toClient.push({ type: "trailer", trailer });
        },
      };
      queueMicrotask(() => {
        void handle(server).catch(() => {});
      });
      return {
        async send(m) {
          if (serverDone || clientDone) return;
          await toServer.push({ type: "message", message: copyMessage(m) });
        },
        async closeSend() {
          if (serverDone || clientDone) return;
          clientDone = true;
          await toServer.push({ type: "end" });
        },
        async read() {
          const ev = await toClient.shift();
          if (ev.type === "trailer") toClient.fail(new RpcError(Code.INTERNAL, "read after trailer"));
          return ev;
        },
        cancel(reason: RpcError) {
          toClient.fail(reason);
          if (serverDone) return;
          serverDone = true;
          const wire = new RpcError(Code.CANCELLED, "the client cancelled the call");
          toServer.fail(wire);
          serverAbort.abort(wire);
        },
      };
    },
  };
}
