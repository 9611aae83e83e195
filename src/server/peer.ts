/**
 * Who a connection's client is, as handlers see it (ctx.peer): the address
 * of the socket (or of the carrier under a TlsSocket: TCP, or the TCP
 * socket under a WebSocket) and what the TLS handshake negotiated and verified.
 */
import { type PeerInfo, peerAddress, type TlsPeerInfo } from "../rpc/peer.ts";
import type { NegotiatedInfo } from "../tls/index.ts";
import type { TlsSocket } from "../transport/tls-socket.ts";

/** The TLS half of PeerInfo from a handshake's NegotiatedInfo. */
export function tlsPeerInfo(info: NegotiatedInfo): TlsPeerInfo {
  return {
    ...(info.alpn === undefined ? {} : { alpn: info.alpn }),
    ...(info.group === undefined ? {} : { group: info.group }),
    cipherSuite: info.cipherSuite,
    ...(info.signatureScheme === undefined ? {} : { signatureScheme: info.signatureScheme }),
    resumed: info.resumed,
    certificates: info.peerCertificates,
  };
}

/** PeerInfo of a secured connection. */
export function peerOf(socket: TlsSocket): PeerInfo {
  const address =
    peerAddress(socket) ?? peerAddress(socket.carrier as Parameters<typeof peerAddress>[0]) ?? "unknown";
  return socket.info === undefined ? { address } : { address, tls: tlsPeerInfo(socket.info) };
}
