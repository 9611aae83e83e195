/**
 * PeerInfo for calls on a server session. node:http2 wraps a socket that is
 * not a native one (our TlsSocket) and then reports "h2c", unencrypted, no
 * address: the truth is on the socket, so whoever hands the connection over
 * records it per session (acceptConnection / setSessionPeer).
 */
import type { Http2Session } from "node:http2";
import { type PeerInfo, peerAddress } from "../../rpc/peer.ts";

const sessionPeers = new WeakMap<Http2Session, PeerInfo>();

export function setSessionPeer(session: Http2Session, peer: PeerInfo): void {
  sessionPeers.set(session, peer);
}

/** The recorded peer of a session, else what node:http2 knows of it. */
export function sessionPeer(session: Http2Session): PeerInfo {
  const recorded = sessionPeers.get(session);
  if (recorded !== undefined) return recorded;
  const address = peerAddress(session.socket) ?? "unknown";
  if (session.encrypted !== true) return { address };
  const alpn = typeof session.alpnProtocol === "string" ? session.alpnProtocol : undefined;
  return { address, tls: alpn === undefined ? {} : { alpn } };
}
