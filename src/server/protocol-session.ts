/**
 * A secured connection with its wire protocol on top, as the server sees it
 * (the mirror of src/client/protocol-session.ts): ALPN "pqrpc/1" runs a
 * server FrameSession, "h2" hands the socket to node:http2 and the gRPC
 * handler. Either way the server holds the same three things per
 * connection: `closed`, a graceful close() (GOAWAY, calls in flight
 * finish) and destroy().
 */
import http2 from "node:http2";
import type { SecurityMonitor } from "../observability/security-events.ts";
import { ALPN_PQRPC_1, ErrorCode, serveFrames } from "../protocol/frames/index.ts";
import { createGrpcServerHandler } from "../protocol/grpc/handler.ts";
import type { PeerInfo } from "../rpc/peer.ts";
import type { CallHandler } from "../rpc/transport.ts";
import type { TlsSocket } from "../transport/tls-socket.ts";
import type { ServerOptions } from "./server-options.ts";

/** ALPN of gRPC over HTTP/2 (PROTOCOL-HTTP2). */
export const ALPN_H2 = "h2";

export interface ServerProtocolSession {
  /** The ALPN protocol it speaks. */
  readonly protocol: string;
  /** Resolves when the connection has ended, however it ended. */
  readonly closed: Promise<void>;
  /** Graceful: GOAWAY, calls in flight finish, then the connection ends. */
  close(): void;
  /** Ends now: calls in flight fail. */
  destroy(): void;
}

export type ServerProtocolOptions = Pick<
  ServerOptions,
  "frames" | "maxReceiveMessageBytes" | "maxMetadataBytes" | "onConnectionError"
> & {
  /** Where a session closed by a flood limit is reported (the server's telemetry). */
  readonly security?: Pick<SecurityMonitor, "report">;
};

/** Both protocols behind one CallHandler; `serve` picks one by the socket's ALPN. */
export interface ServerProtocols {
  /** The session for `tls`, or undefined when its ALPN is neither protocol. */
  serve(tls: TlsSocket, peer: PeerInfo): ServerProtocolSession | undefined;
}

export function createServerProtocols(
  handle: CallHandler,
  options: ServerProtocolOptions = {},
): ServerProtocols {
  const grpc = createGrpcServerHandler(handle, {
    ...(options.maxReceiveMessageBytes === undefined
      ? {}
      : { maxReceiveMessageBytes: options.maxReceiveMessageBytes }),
    ...(options.maxMetadataBytes === undefined ? {} : { maxMetadataBytes: options.maxMetadataBytes }),
  });
  const h2 = http2.createServer();
  grpc.attach(h2);

  const framesSession = (tls: TlsSocket, peer: PeerInfo): ServerProtocolSession => {
    const frames = options.frames;
    const session = serveFrames(tls, handle, {
      peer,
      ...(frames?.settings === undefined ? {} : { settings: frames.settings }),
      ...(frames?.keepalive === undefined ? {} : { keepalive: frames.keepalive }),
      ...(frames?.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: frames.idleTimeoutMs }),
      ...(frames?.settingsTimeoutMs === undefined ? {} : { settingsTimeoutMs: frames.settingsTimeoutMs }),
      ...(options.maxReceiveMessageBytes === undefined
        ? {}
        : { maxReceiveMessageBytes: options.maxReceiveMessageBytes }),
    });
    const closed = session.closed.then((error) => {
      if (!error) return;
      // The session's reset limit (rapid reset, CVE-2023-44487) and control backlog end it with ENHANCE_YOUR_CALM.
      if (error.code === ErrorCode.ENHANCE_YOUR_CALM) {
        options.security?.report({ kind: "reset_flood", peer: peer.address, detail: error.message });
      }
      options.onConnectionError?.(error);
    });
    return {
      protocol: ALPN_PQRPC_1,
      closed,
      close: () => void session.close(),
      destroy: () => session.destroy(ErrorCode.CANCEL, "connection-error", "the server shut down"),
    };
  };

  const http2Session = (tls: TlsSocket, peer: PeerInfo): ServerProtocolSession => {
    const session = grpc.acceptConnection(h2, tls, peer);
    const closed = new Promise<void>((resolve) => session.once("close", () => resolve()));
    return {
      protocol: ALPN_H2,
      closed,
      close: () => session.close(),
      destroy: () => session.destroy(),
    };
  };

  return {
    serve(tls, peer) {
      const alpn = tls.info?.alpn;
      if (alpn === ALPN_PQRPC_1) return framesSession(tls, peer);
      if (alpn === ALPN_H2) return http2Session(tls, peer);
      return undefined;
    },
  };
}
