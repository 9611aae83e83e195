/**
 * Test fixtures for the gRPC protocol: node:http2 over the pqrpc TLS engine
 * (ALPN "h2") on an in-memory pair, a router with the Greeter service, and
 * our client transport.
 */

import http2 from "node:http2";
import { defaultCrypto } from "../../crypto/select.ts";
import { createDevelopmentPki } from "../../pki/development-pki.ts";
import { createVerifier } from "../../pki/trust-store.ts";
import type { CallHandler } from "../../rpc/transport.ts";
import { peerOf } from "../../server/peer.ts";
import { createMemoryPair } from "../../transport/memory-pair.ts";
import { tlsAccept, tlsConnect } from "../../transport/tls-connect.ts";
import type { TlsSocket } from "../../transport/tls-socket.ts";
import { createGrpcServerHandler, type GrpcServerHandler, type GrpcServerHandlerOptions } from "./handler.ts";
import { connectHttp2, http2Carrier } from "./http2-carrier.ts";
import { createGrpcTransport, type GrpcClientTransport, type GrpcTransportOptions } from "./transport.ts";

const crypto = defaultCrypto();
const pki = createDevelopmentPki({ algorithm: "ml-dsa-65", crypto });
const verifier = createVerifier({ roots: pki.ca.certificate, crypto });

/** A client and a server TlsSocket with ALPN "h2", handshaken over an in-memory pair. */
export async function tlsPair(): Promise<{ client: TlsSocket; server: TlsSocket }> {
  const [a, b] = createMemoryPair();
  const [client, server] = await Promise.all([
    tlsConnect(a, { crypto, serverName: "localhost", verifier, alpnProtocols: ["h2"] }),
    tlsAccept(b, { crypto, certificate: pki.server.certifiedKey, alpnProtocols: ["h2"] }),
  ]);
  return { client, server };
}

export interface GrpcFixture {
  readonly transport: GrpcClientTransport;
  readonly handler: GrpcServerHandler;
  readonly h2server: http2.Http2Server;
  /** Server-side TlsSockets accepted so far. */
  readonly serverSockets: TlsSocket[];
  readonly clientSockets: TlsSocket[];
  close(): Promise<void>;
}

/** An h2 server running `callHandler` behind our TLS; the transport opens a new TLS pair per session. */
export function grpcFixture(
  callHandler: CallHandler | { handle: CallHandler },
  serverOptions?: GrpcServerHandlerOptions,
  clientOptions?: Omit<GrpcTransportOptions, "connect">,
): GrpcFixture {
  const h2server = http2.createServer();
  const handler = createGrpcServerHandler(callHandler, serverOptions);
  handler.attach(h2server);
  const serverSockets: TlsSocket[] = [];
  const clientSockets: TlsSocket[] = [];
  const transport = createGrpcTransport({
    ...clientOptions,
    async connect() {
      const { client, server } = await tlsPair();
      serverSockets.push(server);
      clientSockets.push(client);
      handler.acceptConnection(h2server, server, peerOf(server));
      return client;
    },
  });
  return {
    transport,
    handler,
    h2server,
    serverSockets,
    clientSockets,
    async close() {
      await transport.close();
      for (const s of serverSockets) s.destroy();
      h2server.close();
    },
  };
}

/**
 * A bare node:http2 server behind our TLS whose streams `onStream` answers by
 * hand (to send what a gRPC server would not), and our transport to it.
 */
export function rawServerFixture(
  onStream: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void,
  clientOptions?: Omit<GrpcTransportOptions, "connect">,
): { transport: GrpcClientTransport; close(): Promise<void> } {
  const h2server = http2.createServer();
  h2server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    onStream(stream, headers);
  });
  const sockets: TlsSocket[] = [];
  const transport = createGrpcTransport({
    ...clientOptions,
    async connect() {
      const { client, server } = await tlsPair();
      sockets.push(server);
      h2server.emit("connection", http2Carrier(server, "server"));
      return client;
    },
  });
  return {
    transport,
    async close() {
      await transport.close();
      for (const s of sockets) s.destroy();
      h2server.close();
    },
  };
}

/** A bare node:http2 client session to `handler`'s server over our TLS, for requests our client would not send. */
export async function rawClientSession(
  handler: GrpcServerHandler,
  h2server: http2.Http2Server,
): Promise<http2.ClientHttp2Session> {
  const { client, server } = await tlsPair();
  handler.acceptConnection(h2server, server);
  const session = connectHttp2("https://localhost", client);
  session.on("error", () => {});
  return session;
}

/** Sends one request on `session` and collects the response headers, body and trailers. */
export function rawRequest(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Uint8Array,
  endStream = true,
): Promise<{
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
  rstCode: number | undefined;
}> {
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    let response: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on("response", (h) => {
      response = h;
    });
    req.on("trailers", (t) => {
      trailers = t;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => {});
    req.on("close", () =>
      resolve({ headers: response, trailers, body: Buffer.concat(chunks), rstCode: req.rstCode }),
    );
    if (body !== undefined) req.write(body);
    if (endStream) req.end();
    req.on("error", reject);
  });
}
