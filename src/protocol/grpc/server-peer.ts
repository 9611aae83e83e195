/**
 * PeerInfo for calls on a server session. node:http2 wraps a socket that is
 * not a native one (our TlsSocket) and then reports "h2c", unencrypted, no
 * address: the truth is on the TlsSocket, so the server records it per
 * session when it hands the connection over (acceptConnection / setSessionPeer).
 */
import type { Http2Session } from "node:http2";
import type { Duplex } from "node:stream";
import type { PeerInfo, TlsPeerInfo } from "../../rpc/peer.ts";
import type { NegotiatedInfo } from "../../tls/index.ts";

const sessionPeers = new WeakMap<Http2Session, PeerInfo>();

export function setSessionPeer(session: Http2Session, peer: PeerInfo): void {
  sessionPeers.set(session, peer);
}

interface AddressLike {
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

function formatAddress(socket: AddressLike | undefined): string | undefined {
  if (socket?.remoteAddress === undefined) return undefined;
  const host = socket.remoteAddress.includes(":") ? `[${socket.remoteAddress}]` : socket.remoteAddress;
  return socket.remotePort === undefined ? host : `${host}:${socket.remotePort}`;
}

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

/**
 * PeerInfo of a connection: its address (from the socket, or the carrier
 * under a TlsSocket) and, when it has one, the TLS handshake's `info`.
 */
export function peerFromSocket(socket: Duplex & { info?: NegotiatedInfo; carrier?: Duplex }): PeerInfo {
  const address =
    formatAddress(socket as AddressLike) ??
    formatAddress(socket.carrier as AddressLike | undefined) ??
    "unknown";
  return socket.info === undefined ? { address } : { address, tls: tlsPeerInfo(socket.info) };
}

/** The recorded peer of a session, else what node:http2 knows of it. */
export function sessionPeer(session: Http2Session): PeerInfo {
  const recorded = sessionPeers.get(session);
  if (recorded !== undefined) return recorded;
  const address = formatAddress(session.socket as AddressLike | undefined) ?? "unknown";
  if (session.encrypted !== true) return { address };
  const alpn = typeof session.alpnProtocol === "string" ? session.alpnProtocol : undefined;
  return { address, tls: alpn === undefined ? {} : { alpn } };
}
