/**
 * Hostile and RFC-edge ClientHello builders shared by the engine tests
 * (rfc8446-edges.test.ts) and the tests against a real server process
 * (test/hostile/tls-hostile.test.ts): not a test file itself.
 */
import type { Extension } from "./codec/extensions.ts";
import { ExtensionType as E, HandshakeType as H } from "./codec/types.ts";
import type { PeerHooks } from "./connection.ts";
import { crypto, type WireMutator } from "./engine-test-helpers.ts";
import { ContentType } from "./record-layer.ts";

/** Rewrites legacy_record_version of every plaintext record of `type` the client sends. */
export const recordVersion =
  (type: number, version: number): WireMutator =>
  (dir, chunk) => {
    if (dir !== "client->server" || chunk[0] !== type) return chunk;
    const c = chunk.slice();
    c[1] = version >> 8;
    c[2] = version & 0xff;
    return c;
  };

/** Rewrites ClientHello.legacy_version (outside the client's transcript). */
export const helloLegacyVersion = (version: number): PeerHooks => ({
  outgoingHandshake: (raw) => {
    if (raw[0] !== H.client_hello) return raw;
    const c = raw.slice();
    c[4] = version >> 8;
    c[5] = version & 0xff;
    return c;
  },
});

/** Appends extensions to the client's ClientHello (in its own transcript: the handshake can complete). */
export const addToHello = (extra: (list: Extension[]) => Extension[]): PeerHooks => ({
  clientHelloExtensions: (list) => extra(list),
});

/** Unassigned extension code points (IANA TLS ExtensionType: 0x1000.. is unassigned except GREASE). */
export const unassigned = (n: number, dataBytes = 0): Extension[] =>
  Array.from({ length: n }, (_, i) => ({ type: 0x1000 + i * 3, data: crypto.randomBytes(dataBytes) }));

export function readU16List(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 2; i < data.length; i += 2) out.push((data[i]! << 8) | data[i + 1]!);
  return out;
}

export function u16ListBytes(values: number[]): Uint8Array {
  const out = new Uint8Array(2 + values.length * 2);
  out[0] = (values.length * 2) >> 8;
  out[1] = (values.length * 2) & 0xff;
  values.forEach((v, i) => {
    out[2 + 2 * i] = v >> 8;
    out[3 + 2 * i] = v & 0xff;
  });
  return out;
}

/** `count` key shares (and supported_groups entries) for groups no server knows, before the real ones. */
export function unknownKeyShares(count: number): PeerHooks {
  const fake = Array.from({ length: count }, (_, i) => 0x3000 + i);
  return addToHello((list) =>
    list.map((e) => {
      if (e.type === E.supported_groups) {
        return { type: e.type, data: u16ListBytes([...fake, ...readU16List(e.data)]) };
      }
      if (e.type === E.key_share) {
        const extra = fake.flatMap((g) => [g >> 8, g & 0xff, 0, 32, ...crypto.randomBytes(32)]);
        const inner = [...extra, ...e.data.subarray(2)];
        return { type: e.type, data: Uint8Array.of(inner.length >> 8, inner.length & 0xff, ...inner) };
      }
      return e;
    }),
  );
}

/**
 * A client offering early_data (in its first ClientHello only) and sending
 * `records` 0-RTT records of `bytes` each after it: ciphertext under a
 * client_early_traffic_secret the server never derives, random to it.
 */
export function earlyDataHooks(records: number, bytes = 200): PeerHooks {
  let hellos = 0;
  let sent = 0;
  return {
    clientHelloExtensions: (l) =>
      hellos++ === 0 ? [...l, { type: E.early_data, data: new Uint8Array(0) }] : l,
    outgoingHandshake: (raw, inject) => {
      if (raw[0] === H.client_hello && sent++ === 0) {
        for (let i = 0; i < records; i++) inject(ContentType.application_data, crypto.randomBytes(bytes));
      }
      return raw;
    },
  };
}
