/**
 * node:http2 on a carrier that is a JS stream (our TlsSocket), on either side.
 *
 * node:http2 over a JS stream aborts the process (node_http2.cc
 * OnDataChunkReceived: CHECK(session->is_reading_stopped())) when one
 * incoming chunk holds enough frames that its answers start a write midway.
 * A TlsSocket delivers one record per chunk, so the sender keeps one record
 * per node:http2 write: each chunk the peer's node:http2 reads stays as
 * small as the write that made it. A carrier without that switch (a
 * net.Socket, node's own TLS) is left as it is.
 */
import http2, { type ClientHttp2Session, type SecureClientSessionOptions } from "node:http2";
import type { Duplex } from "node:stream";

/** A carrier that can pack writes into larger records (TlsSocket.packWrites). */
interface PackingCarrier {
  packWrites?: boolean;
}

/** Makes `carrier` keep one record per write (see above); returns it. */
export function http2Carrier<T extends Duplex>(carrier: T): T {
  const c = carrier as T & PackingCarrier;
  if (typeof c.packWrites === "boolean") c.packWrites = false;
  return carrier;
}

/** A client session on `carrier`, for calls to `authority` (a URL: its scheme and host). */
export function connectHttp2(
  authority: string,
  carrier: Duplex,
  options: Omit<SecureClientSessionOptions, "createConnection"> = {},
): ClientHttp2Session {
  const socket = http2Carrier(carrier);
  return http2.connect(authority, { ...options, createConnection: () => socket });
}
