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
import { RECEIVE_BUDGET_DETAIL } from "../protocol/frames/connection.ts";
import { ALPN_PQRPC_1, ErrorCode, serveFrames } from "../protocol/frames/index.ts";
import { createGrpcServerHandler } from "../protocol/grpc/handler.ts";
import { applyConnectionWindow, http2ServerOptions } from "../protocol/grpc/http2-server-settings.ts";
import type { SessionLimitEvent } from "../protocol/grpc/session-guard.ts";
import { sessionPeer } from "../protocol/grpc/session-peer.ts";
import type { PeerInfo } from "../rpc/peer.ts";
import type { ReceiveBudget } from "../rpc/receive-budget.ts";
import type { CallHandler } from "../rpc/transport.ts";
import type { TlsSocket } from "../transport/tls-socket.ts";
import { ServerError } from "./errors.ts";
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
  "frames" | "http2" | "maxReceiveMessageBytes" | "maxMetadataBytes" | "onConnectionError"
> & {
  /** Where a session closed by a flood limit is reported (the server's telemetry). */
  readonly security?: Pick<SecurityMonitor, "report">;
  /** Request bytes held across connections (the server's); without one, only per-message limits apply. */
  readonly receiveBudget?: ReceiveBudget;
};

/** The security event for a connection an HTTP/2 session limit closed. */
function limitEventKind(event: SessionLimitEvent): "reset_flood" | "resource_limit" | "idle_connection" {
  switch (event.reason) {
    case "handler-flood":
      return "reset_flood";
    case "receive-budget":
      return "resource_limit";
    case "preface-timeout":
    case "idle-timeout":
      return "idle_connection";
  }
}

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
    session: {
      ...(options.http2?.maxConcurrentStreams === undefined
        ? {}
        : { maxRunningHandlers: options.http2.maxConcurrentStreams }),
      ...(options.http2?.prefaceTimeoutMs === undefined
        ? {}
        : { prefaceTimeoutMs: options.http2.prefaceTimeoutMs }),
      ...(options.http2?.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.http2.idleTimeoutMs }),
      ...(options.receiveBudget === undefined ? {} : { budget: options.receiveBudget }),
      onLimit: (session, event) => {
        const peer = sessionPeer(session).address;
        options.security?.report({
          kind: limitEventKind(event),
          peer,
          reason: event.reason,
          detail: event.detail,
        });
        options.onConnectionError?.(
          new ServerError("limit", `HTTP/2 connection closed (${event.reason}): ${event.detail}`),
        );
      },
    },
  });
  const h2 = http2.createServer(http2ServerOptions(options.http2, options.maxMetadataBytes));
  grpc.attach(h2);

  const framesSession = (tls: TlsSocket, peer: PeerInfo): ServerProtocolSession => {
    const frames = options.frames;
    const session = serveFrames(tls, handle, {
      peer,
      ...(frames?.settings === undefined ? {} : { settings: frames.settings }),
      ...(frames?.keepalive === undefined ? {} : { keepalive: frames.keepalive }),
      ...(frames?.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: frames.idleTimeoutMs }),
      ...(frames?.settingsTimeoutMs === undefined ? {} : { settingsTimeoutMs: frames.settingsTimeoutMs }),
      ...(options.receiveBudget === undefined ? {} : { receiveBudget: options.receiveBudget }),
      ...(options.maxReceiveMessageBytes === undefined
        ? {}
        : { maxReceiveMessageBytes: options.maxReceiveMessageBytes }),
    });
    const closed = session.closed.then((error) => {
      if (!error) return;
      // The session's reset limit (rapid reset, CVE-2023-44487) and control backlog end it with ENHANCE_YOUR_CALM.
      if (error.code === ErrorCode.ENHANCE_YOUR_CALM) {
        const budget = error.message.includes(RECEIVE_BUDGET_DETAIL);
        options.security?.report({
          kind: budget ? "resource_limit" : "reset_flood",
          peer: peer.address,
          detail: error.message,
        });
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
    applyConnectionWindow(session, options.http2);
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
