/**
 * What a device keeps across sleep (DESIGN.md §4 embedded profile): the
 * resumption ticket the server last sent, and the names it belongs to, as
 * bytes the device writes to flash before it drops the connection and hands
 * back to wake in one round trip. External PSKs are configuration, not
 * state: they are not written here. Layout (all lengths checked on read):
 *
 *   "PQDS" ‖ version (1) ‖ suite (u8-prefixed ASCII) ‖ ticket (u16-prefixed)
 *   ‖ resumption PSK (u8-prefixed) ‖ ticket_age_add (u32) ‖ lifetime s (u32)
 *   ‖ received at ms (u64) ‖ server name (u8-prefixed) ‖ ALPN (u8-prefixed)
 */
import { ByteReader } from "../bytes/byte-reader.ts";
import { ByteWriter } from "../bytes/byte-writer.ts";
import { utf8Decode, utf8Encode } from "../bytes/bytes.ts";
import type { CipherSuiteName } from "../crypto/registry.ts";
import type { ResumptionSession } from "../tls/config.ts";
import { DeviceError } from "./device-error.ts";

const MAGIC = utf8Encode("PQDS");
const VERSION = 1;
/** Largest ticket a sleep state holds (the server's MAX_SEALED_TICKET_BYTES is far larger; devices get small ones). */
export const MAX_SLEEP_TICKET_BYTES = 8 * 1024;
/** Largest resumption PSK: the output of SHA-384. */
const MAX_PSK_BYTES = 48;
const SUITES: readonly CipherSuiteName[] = [
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
];

export function encodeSleepState(session: ResumptionSession): Uint8Array {
  if (session.ticket.length > MAX_SLEEP_TICKET_BYTES) {
    throw new DeviceError(
      "too-large",
      `a ${session.ticket.length}-byte ticket exceeds ${MAX_SLEEP_TICKET_BYTES}`,
    );
  }
  return new ByteWriter(64 + session.ticket.length)
    .bytes(MAGIC)
    .u8(VERSION)
    .vector(1, utf8Encode(session.cipherSuite))
    .vector(2, session.ticket)
    .vector(1, session.psk)
    .u32(session.ageAdd >>> 0)
    .u32(session.lifetimeSeconds)
    .u64(session.receivedAtMs)
    .vector(1, utf8Encode(session.serverName ?? ""))
    .vector(1, utf8Encode(session.alpn ?? ""))
    .finish();
}

export function decodeSleepState(bytes: Uint8Array): ResumptionSession {
  const r = new ByteReader(
    bytes,
    "sleep state",
    (_f, message) => new DeviceError("bad-sleep-state", message),
  );
  const magic = r.bytes(MAGIC.length, "magic");
  if (utf8Decode(magic) !== "PQDS")
    throw new DeviceError("bad-sleep-state", "not a pqrpc device sleep state");
  const version = r.u8("version");
  if (version !== VERSION)
    throw new DeviceError("bad-sleep-state", `sleep state version ${version}, expected ${VERSION}`);
  const suite = utf8Decode(r.vector(1, 1, 64, "cipher suite")) as CipherSuiteName;
  if (!SUITES.includes(suite)) throw new DeviceError("bad-sleep-state", `unknown cipher suite ${suite}`);
  const ticket = r.vector(2, 1, MAX_SLEEP_TICKET_BYTES, "ticket");
  const psk = r.vector(1, 32, MAX_PSK_BYTES, "resumption PSK");
  const ageAdd = r.u32("ticket_age_add");
  const lifetimeSeconds = r.u32("lifetime");
  const receivedAtMs = r.u64("received at");
  const serverName = utf8Decode(r.vector(1, 0, 255, "server name"));
  const alpn = utf8Decode(r.vector(1, 0, 255, "ALPN"));
  r.end();
  return {
    cipherSuite: suite,
    ticket,
    psk,
    ageAdd,
    lifetimeSeconds,
    receivedAtMs,
    ...(serverName === "" ? {} : { serverName }),
    ...(alpn === "" ? {} : { alpn }),
  };
}
