/**
 * Protocol sniffing on an accepted socket: read the first byte without
 * consuming it (it is pushed back with unshift), so the same port can take a
 * raw TLS ClientHello (first byte 0x16, RFC 8446 §5.1) or an HTTP/1.1
 * WebSocket upgrade ("GET ...").
 */
import type { Socket } from "node:net";
import { TLS_HANDSHAKE_CONTENT_TYPE } from "./limits.ts";

/** What a connection carries, by its first byte: a TLS record, or (anything else) HTTP/1.1 for a WebSocket upgrade. */
export function carrierOf(firstByte: number): "tls" | "http" {
  return firstByte === TLS_HANDSHAKE_CONTENT_TYPE ? "tls" : "http";
}

/**
 * Resolves with the first byte, left in the socket's buffer; undefined if the
 * socket ended, failed or was destroyed before sending one. The caller bounds
 * the wait (it destroys the socket on its timeout).
 */
export function peekFirstByte(socket: Socket): Promise<number | undefined> {
  return new Promise((resolve) => {
    const done = (byte: number | undefined) => {
      socket.off("readable", onReadable);
      socket.off("end", onGone);
      socket.off("close", onGone);
      socket.off("error", onGone);
      resolve(byte);
    };
    const onReadable = () => {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null || chunk.length === 0) return; // woken for the end: 'end' follows
      socket.unshift(chunk);
      done(chunk[0]);
    };
    const onGone = () => done(undefined);
    socket.on("readable", onReadable);
    socket.once("end", onGone);
    socket.once("close", onGone);
    socket.once("error", onGone);
  });
}
