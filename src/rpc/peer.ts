/**
 * What a handler may learn about the caller. Transports fill it from the
 * connection; the TLS fields come from the handshake (negotiated group,
 * signature scheme, verified certificate chain) so handlers can authorize by
 * certificate and policies can check that a call was made over PQ TLS.
 */
export interface TlsPeerInfo {
  /** Negotiated ALPN ("h2", "pqrpc/1"). */
  readonly alpn?: string;
  /** TLS NamedGroup name, e.g. "X25519MLKEM768". */
  readonly group?: string;
  readonly cipherSuite?: string;
  readonly signatureScheme?: string;
  /** True if the session was resumed with a PSK. */
  readonly resumed?: boolean;
  /** The peer's certificate chain (DER), leaf first; empty if it sent none. */
  readonly certificates?: readonly Uint8Array[];
}

export interface PeerInfo {
  /** Remote address, e.g. "203.0.113.5:52100", or a transport name for in-memory calls. */
  readonly address: string;
  /** Absent on a plaintext or in-memory transport. */
  readonly tls?: TlsPeerInfo;
}

/** "host:port" ("[v6]:port" for IPv6) of a socket-like object, or undefined when it has no remote address. */
export function peerAddress(
  socket:
    | { readonly remoteAddress?: string | undefined; readonly remotePort?: number | undefined }
    | undefined,
): string | undefined {
  if (socket?.remoteAddress === undefined) return undefined;
  const host = socket.remoteAddress.includes(":") ? `[${socket.remoteAddress}]` : socket.remoteAddress;
  return socket.remotePort === undefined ? host : `${host}:${socket.remotePort}`;
}
