/**
 * Shared by the client and server engine targets: the checks a connection
 * must pass after hostile input, and a live handshake in which one side's
 * outgoing handshake messages are mutated by the fuzzer's bytes (before
 * they are sealed, so the other side decrypts them and its state machine,
 * not its AEAD, meets the garbage).
 */
import { AlertDescription } from "../../../src/tls/alert.ts";
import type { TlsConnection } from "../../../src/tls/connection.ts";
import type { FuzzInput } from "./input.ts";
import { check } from "./target.ts";

/** Exchanges in one live handshake before the targets call it a livelock (a normal one takes 3). */
export const MAX_PUMP_ROUNDS = 20;

/** Outgoing bytes a connection may queue in answer to one input: a flight and an alert. */
export const MAX_OUTGOING_BYTES = 512 * 1024;

/**
 * What every connection must satisfy however hostile its input: it did not
 * fail with internal_error (RFC 8446 §6.2: "unrelated to the peer"; an
 * exception escaping our own code surfaces as one), released no
 * application data before the handshake, and queued bounded output.
 */
export function checkConnection(side: string, c: TlsConnection, outgoing: readonly Uint8Array[]): void {
  const e = c.error;
  check(
    !(e && e.origin === "local" && e.alert === AlertDescription.internal_error),
    `${side}: peer input raised internal_error: ${e?.message}`,
  );
  const app = c.takeApplicationData();
  check(app.length === 0 || c.handshakeComplete, `${side}: application data before the handshake completed`);
  const queued = outgoing.reduce((n, b) => n + b.length, 0);
  check(queued <= MAX_OUTGOING_BYTES, `${side}: ${queued} outgoing bytes queued for one input`);
}

/** Feeds `bytes` in chunks of the sizes the input chose, as a socket would. */
export function feed(c: TlsConnection, bytes: Uint8Array, chunkBytes: number): void {
  for (let at = 0; at < bytes.length && !c.closed; at += chunkBytes)
    c.receive(bytes.slice(at, at + chunkBytes));
}

/**
 * A mutation of the handshake message with index `victim` (0 = the first this
 * side sends), read from the input: replace, overwrite at an offset, truncate,
 * or insert bytes.
 */
export function handshakeMutator(input: FuzzInput): (message: Uint8Array) => Uint8Array {
  const victim = input.pick(8);
  const op = input.pick(4);
  const offset = input.u16();
  const patch = input.rest();
  let index = 0;
  return (message) => {
    if (index++ !== victim) return message;
    const at = offset % (message.length + 1);
    switch (op) {
      case 0:
        return patch.slice();
      case 1: {
        const out = message.slice();
        out.set(patch.subarray(0, out.length - at), at);
        return out;
      }
      case 2:
        return message.slice(0, at);
      default: {
        const out = new Uint8Array(message.length + patch.length);
        out.set(message.subarray(0, at));
        out.set(patch, at);
        out.set(message.subarray(at), at + patch.length);
        return out;
      }
    }
  };
}

/** Moves bytes both ways until quiet, checking both sides after every delivery. */
export function pumpChecked(client: TlsConnection, server: TlsConnection): void {
  for (let round = 0; round < MAX_PUMP_ROUNDS; round++) {
    let moved = false;
    for (const [from, to, side] of [
      [client, server, "server"],
      [server, client, "client"],
    ] as const) {
      const out = from.takeOutgoing();
      for (const chunk of out) {
        moved = true;
        to.receive(chunk);
      }
      checkConnection(side, to, []);
    }
    if (!moved) return;
  }
  check(false, `the handshake did not settle within ${MAX_PUMP_ROUNDS} exchanges`);
}
