/**
 * Shared by the engine tests (not a test file itself): development PKIs per
 * algorithm, default configurations, and a pump that moves bytes between two
 * in-memory connections with an optional wire mutator.
 */
import { concatChunks } from "../bytes/bytes.ts";
import { defaultCrypto } from "../crypto/select.ts";
import type { SignatureName } from "../crypto/types.ts";
import { createDevelopmentPki, type DevelopmentPki } from "../pki/development-pki.ts";
import { createVerifier } from "../pki/trust-store.ts";
import { tlsReader } from "./codec/cursor.ts";
import type { TlsClientConfig, TlsServerConfig } from "./config.ts";
import {
  createHostilePeer,
  createTlsClient,
  createTlsServer,
  type PeerHooks,
  type TlsConnection,
} from "./connection.ts";
import { MAX_CIPHERTEXT_BYTES } from "./record-layer.ts";

export const crypto = defaultCrypto();

const pkis = new Map<SignatureName, DevelopmentPki>();
export function pki(algorithm: SignatureName = "ml-dsa-65"): DevelopmentPki {
  let p = pkis.get(algorithm);
  if (!p) {
    p = createDevelopmentPki({ algorithm, crypto });
    pkis.set(algorithm, p);
  }
  return p;
}

export function clientConfig(
  overrides: Partial<TlsClientConfig> = {},
  algorithm: SignatureName = "ml-dsa-65",
): TlsClientConfig {
  const p = pki(algorithm);
  return {
    crypto,
    serverName: "localhost",
    verifier: createVerifier({ roots: p.ca.certificate, crypto }),
    ...overrides,
  };
}

export function serverConfig(
  overrides: Partial<TlsServerConfig> = {},
  algorithm: SignatureName = "ml-dsa-65",
): TlsServerConfig {
  const p = pki(algorithm);
  return {
    crypto,
    certificate: p.server.certifiedKey,
    clientVerifier: createVerifier({ roots: p.ca.certificate, crypto }),
    ...overrides,
  };
}

export type Direction = "client->server" | "server->client";
/** Rewrites one chunk of bytes on the wire (a whole record from takeOutgoing); return [] to drop it. */
export type WireMutator = (dir: Direction, chunk: Uint8Array, index: number) => Uint8Array | Uint8Array[];

/** Exchanges bytes until both sides are quiet (bounded: a hang is a test failure, not a stuck run). */
export function pump(client: TlsConnection, server: TlsConnection, mutate?: WireMutator): void {
  const counters = { "client->server": 0, "server->client": 0 };
  const MAX_ROUNDS = 50;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let moved = false;
    for (const [from, to, dir] of [
      [client, server, "client->server"],
      [server, client, "server->client"],
    ] as const) {
      for (const chunk of from.takeOutgoing()) {
        const out = mutate ? [mutate(dir, chunk, counters[dir]++)].flat() : [chunk];
        for (const c of out) {
          moved = true;
          to.receive(c);
        }
      }
      // Records `from` held while its output waited (receivePaused) go on now that it was taken.
      if (from.heldRecords) {
        from.receive(new Uint8Array(0));
        moved = true;
      }
    }
    if (!moved) return;
  }
  throw new Error("pump: connections did not settle");
}

export interface PairOptions {
  client?: Partial<TlsClientConfig>;
  server?: Partial<TlsServerConfig>;
  algorithm?: SignatureName;
  clientHooks?: PeerHooks;
  serverHooks?: PeerHooks;
  wire?: WireMutator;
}

export function connectPair(o: PairOptions = {}): { client: TlsConnection; server: TlsConnection } {
  const server = o.serverHooks
    ? createHostilePeer("server", serverConfig(o.server, o.algorithm), o.serverHooks)
    : createTlsServer(serverConfig(o.server, o.algorithm));
  const client = o.clientHooks
    ? createHostilePeer("client", clientConfig(o.client, o.algorithm), o.clientHooks)
    : createTlsClient(clientConfig(o.client, o.algorithm));
  pump(client, server, o.wire);
  return { client, server };
}

/** Sends `data` from `a` to `b` through the record layer and returns what `b` decrypted. */
export function transfer(a: TlsConnection, b: TlsConnection, data: Uint8Array): Uint8Array {
  a.send(data);
  for (const c of a.takeOutgoing()) b.receive(c);
  return concatChunks(b.takeApplicationData());
}

/**
 * The whole records in all of one takeOutgoing() (whose chunks may each hold
 * part of a record: a detached seal leaves as header, ciphertext and tag),
 * each a copy of its bytes, header included.
 */
export function outgoingRecords(chunks: readonly Uint8Array[]): Uint8Array[] {
  const bytes = concatChunks(chunks);
  const out: Uint8Array[] = [];
  const r = tlsReader(bytes, "TLSCiphertext");
  while (r.remaining > 0) {
    const start = r.offset;
    r.u8("type");
    r.u16("legacy_record_version");
    r.vector(2, 0, MAX_CIPHERTEXT_BYTES, "fragment");
    out.push(bytes.slice(start, r.offset));
  }
  return out;
}
