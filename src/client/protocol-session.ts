/**
 * A secured connection with its wire protocol on top, as the channel sees
 * it: a ClientTransport plus life-cycle facts. pqrpc/1 runs a client
 * FrameSession; "h2" runs a node:http2 session with the gRPC transport.
 * Either way, once the server sends GOAWAY or the carrier is lost the
 * session stops being `usable` and the channel opens a new one for new calls.
 */
import { ALPN_PQRPC_1 } from "../protocol/frames/constants.ts";
import { createFramesClientTransport, FrameSession } from "../protocol/frames/index.ts";
import { connectHttp2 } from "../protocol/grpc/http2-carrier.ts";
import { createGrpcTransport } from "../protocol/grpc/transport.ts";
import type { ClientTransport } from "../rpc/transport.ts";
import type { NegotiatedInfo } from "../tls/index.ts";
import type { TlsSocket } from "../transport/tls-socket.ts";
import type { ConnectOptions } from "./connect-options.ts";

/** After an HTTP/2 session closes, how long the peer may take to answer our close_notify, ms. */
export const TLS_CLOSE_LINGER_MS = 2_000;

export interface ProtocolSession {
  readonly transport: ClientTransport;
  readonly info: NegotiatedInfo;
  /** False once it may not take new calls (GOAWAY either way, closing, or lost). */
  readonly usable: boolean;
  /** Resolves when the connection has ended, however it ended. */
  readonly closed: Promise<void>;
  /** Graceful: calls in flight finish, then the connection ends. */
  close(): Promise<void>;
  /** Ends now: calls in flight fail with UNAVAILABLE. */
  destroy(): void;
}

/** :authority of the calls (RFC 9110 §7.2): the server name and port. */
export function startSession(
  tls: TlsSocket,
  authority: string,
  options: Pick<ConnectOptions, "frames" | "maxReceiveMessageBytes">,
): ProtocolSession {
  const info = tls.info!;
  return info.alpn === ALPN_PQRPC_1
    ? framesSession(tls, info, authority, options)
    : http2Session(tls, info, authority, options);
}

function framesSession(
  tls: TlsSocket,
  info: NegotiatedInfo,
  authority: string,
  options: Pick<ConnectOptions, "frames" | "maxReceiveMessageBytes">,
): ProtocolSession {
  const session = new FrameSession(tls, {
    role: "client",
    ...(options.frames?.settings === undefined ? {} : { settings: options.frames.settings }),
    ...(options.frames?.keepalive === undefined ? {} : { keepalive: options.frames.keepalive }),
    ...(options.maxReceiveMessageBytes === undefined
      ? {}
      : { maxReceiveMessageBytes: options.maxReceiveMessageBytes }),
  });
  const closed = session.closed.then(() => {});
  return {
    transport: createFramesClientTransport(session, { authority }),
    info,
    get usable() {
      return session.isOpen;
    },
    closed,
    close: () => session.close().then(() => {}),
    destroy: () => session.destroy(),
  };
}

function http2Session(
  tls: TlsSocket,
  info: NegotiatedInfo,
  authority: string,
  options: Pick<ConnectOptions, "maxReceiveMessageBytes">,
): ProtocolSession {
  const session = connectHttp2(`https://${authority}`, tls);
  // Session errors reach every stream as a close; without a listener they would be thrown.
  session.on("error", () => {});
  let goaway = false;
  session.once("goaway", () => (goaway = true));
  const closed = new Promise<void>((resolve) => session.once("close", () => resolve()));
  // A closed session ends the TLS connection (close_notify), bounded; a lost socket ends the session.
  void closed.then(() => {
    if (tls.destroyed) return;
    tls.end();
    setTimeout(() => tls.destroy(), TLS_CLOSE_LINGER_MS).unref();
  });
  tls.once("close", () => session.destroy());
  return {
    transport: createGrpcTransport({
      session,
      authority: `https://${authority}`,
      ...(options.maxReceiveMessageBytes === undefined
        ? {}
        : { maxReceiveMessageBytes: options.maxReceiveMessageBytes }),
    }),
    info,
    get usable() {
      return !goaway && !session.closed && !session.destroyed;
    },
    closed,
    close: () => {
      session.close();
      return closed;
    },
    destroy: () => session.destroy(),
  };
}
