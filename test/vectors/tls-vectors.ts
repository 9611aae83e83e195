/**
 * TLS 1.3 handshake vectors (vectors/tls/*.json): the inputs of a run, the
 * run itself (a client and a server over deterministic crypto and a fixed
 * clock, ./deterministic-crypto.ts) and the transcript it produces: every
 * record each way, decrypted, with the handshake messages and the secrets of
 * RFC 8446 §7.1. scripts/make-vectors.ts writes them; vectors.test.ts replays
 * them both with two engines and with one engine against the recorded peer.
 */

import { ml_kem512, ml_kem768, ml_kem1024 } from "@noble/post-quantum/ml-kem.js";
import { bytesEqual, concatBytes, fromHex, toHex, utf8Encode } from "../../src/bytes/bytes.ts";
import {
  type CipherSuiteName,
  cipherSuiteByName,
  type GroupName,
  groupByName,
} from "../../src/crypto/registry.ts";
import { defaultCrypto } from "../../src/crypto/select.ts";
import type { HashName, KemName, SignatureName } from "../../src/crypto/types.ts";
import { createDevelopmentPki } from "../../src/pki/development-pki.ts";
import { importPrivateKey } from "../../src/pki/keys.ts";
import { createVerifier } from "../../src/pki/trust-store.ts";
import { type PeerVerifier, PkiError } from "../../src/pki/types.ts";
import { Extensions } from "../../src/tls/codec/extensions.ts";
import { HandshakeJoiner } from "../../src/tls/codec/handshake-joiner.ts";
import {
  certificate,
  certificateVerify,
  clientHello,
  encryptedExtensions,
  finished,
  newSessionTicket,
  serverHello,
} from "../../src/tls/codec/messages.ts";
import { ExtensionType, HandshakeType } from "../../src/tls/codec/types.ts";
import type {
  ExternalPsk,
  ResumptionSession,
  TlsClientConfig,
  TlsServerConfig,
} from "../../src/tls/config.ts";
import { createTlsClient, createTlsServer, type TlsConnection } from "../../src/tls/connection.ts";
import { outgoingRecords } from "../../src/tls/engine-test-helpers.ts";
import { KeyLogLabel } from "../../src/tls/key-log.ts";
import { deriveSecret, trafficKeys } from "../../src/tls/key-schedule.ts";
import { importPsk, TARGET_PROTOCOL_TLS13 } from "../../src/tls/psk-importer.ts";
import { ContentType, RECORD_HEADER_BYTES } from "../../src/tls/record-layer.ts";
import { TICKET_KEY_ID_BYTES, TicketSealer } from "../../src/tls/ticket-sealer.ts";
import { type DeterministicCrypto, type Draw, deterministicCrypto } from "./deterministic-crypto.ts";

/** Personalization strings of the two DRBGs (one per side, so each side replays alone). */
export const CLIENT_DRBG_LABEL = "pqrpc vectors client";
export const SERVER_DRBG_LABEL = "pqrpc vectors server";
const PKI_DRBG_LABEL = "pqrpc vectors pki";
/** Bound on the exchange loop: a run that does not settle is a broken engine, not a long vector. */
const MAX_PUMP_ROUNDS = 50;

type Hex = string;

/** Everything a run depends on, as recorded in the vector (bytes as lowercase hex). */
export interface TlsVectorInputs {
  clientSeed: Hex;
  serverSeed: Hex;
  /** The fixed clock of both sides (ms since the epoch). */
  nowMs: number;
  cipherSuites: CipherSuiteName[];
  groups: GroupName[];
  signatureSchemes: SignatureName[];
  alpnProtocols: string[];
  /** RFC 8449 record_size_limit both sides advertise. */
  recordSizeLimit: number;
  /** SNI and the name the certificate must match; false for PSK-only profiles. */
  serverName: string | false;
  /** RFC 8446 §D.4 compatibility mode (dummy change_cipher_spec, session id). */
  middleboxCompat: boolean;
  pskModes?: ("psk_ke" | "psk_dhe_ke")[];
  externalPsk?: { identity: Hex; key: Hex; hash: HashName; importerContext?: Hex };
  /** A ticket from an earlier connection (the resumption profile). */
  session?: {
    cipherSuite: CipherSuiteName;
    ticket: Hex;
    psk: Hex;
    ageAdd: number;
    lifetimeSeconds: number;
    receivedAtMs: number;
    serverName?: string;
    alpn?: string;
  };
  /** Server ticket keys (TicketSealer.setKeys) and how many tickets it issues per handshake. */
  tickets?: { keys: { id: Hex; secret: Hex; activatesMs: number }[]; count: number };
  /** Certificate profile: the trust anchor the client holds and the server's chain (DER) and PKCS#8 key. */
  pki?: { root: Hex; chain: Hex[]; serverKeyPkcs8: Hex };
  /** Application data after the handshake: the client's request, then the server's answer. */
  clientData: Hex;
  serverData: Hex;
}

/** The steps of a run, in order; each record in the transcript names the step that produced it. */
export const STEPS = ["handshake", "client-data", "server-data", "client-close", "server-close"] as const;
export type Step = (typeof STEPS)[number];
export type Direction = "client->server" | "server->client";

export interface TranscriptMessage {
  type: string;
  /** The whole handshake message (4-byte header included). */
  hex: Hex;
  /** The message's fields (RFC 8446 §4 names, camel-cased; bytes as hex; extensions by type). */
  fields: Record<string, unknown>;
}

export interface TranscriptRecord {
  step: Step;
  direction: Direction;
  /** The record as on the wire (5-byte header included). */
  hex: Hex;
  contentType: string;
  /** Which traffic secret protects it (RFC 8446 §7.3), or "plaintext". */
  protection: "plaintext" | "handshake" | "application";
  /** For protected records: the TLSInnerPlaintext's real content type and content (padding removed). */
  inner?: { contentType: string; content: Hex };
  /** Handshake messages that end in this record (a message may start in an earlier one). */
  handshake?: TranscriptMessage[];
}

export interface TlsVector {
  name: string;
  description: string;
  inputs: TlsVectorInputs;
  negotiated: {
    cipherSuite: string;
    group?: string;
    pskMode?: string;
    resumed: boolean;
    signatureScheme?: string;
    alpn?: string;
  };
  /**
   * RFC 8446 §7.1 secrets by name (the binder key names its label: "ext binder",
   * "imp binder" or "res binder"), and RFC 9258 §5.1's imported_identity and ipsk.
   */
  secrets: Record<string, Hex>;
  /**
   * Each side's DRBG requests in order (purpose and length): a port that
   * draws the same lengths in the same order reproduces the transcript.
   */
  draws: { client: readonly Draw[]; server: readonly Draw[] };
  records: TranscriptRecord[];
}

const hex = fromHex;

/** A verifier for PSK-only profiles: no certificate is trusted, so a fallback to one fails closed. */
const NO_CERTIFICATES: PeerVerifier = {
  verify() {
    throw new PkiError("unknown-ca", "PSK profile: no certificate is trusted");
  },
};

function externalPskOf(i: TlsVectorInputs): ExternalPsk | undefined {
  const e = i.externalPsk;
  if (e === undefined) return undefined;
  return {
    identity: hex(e.identity),
    key: hex(e.key),
    hash: e.hash,
    ...(e.importerContext === undefined ? {} : { importer: { context: hex(e.importerContext) } }),
  };
}

function sessionOf(i: TlsVectorInputs): ResumptionSession | undefined {
  const s = i.session;
  if (s === undefined) return undefined;
  return { ...s, ticket: hex(s.ticket), psk: hex(s.psk) };
}

function common(i: TlsVectorInputs) {
  return {
    cipherSuites: i.cipherSuites,
    groups: i.groups,
    signatureSchemes: i.signatureSchemes,
    alpnProtocols: i.alpnProtocols,
    recordSizeLimit: i.recordSizeLimit,
    now: () => i.nowMs,
  };
}

export function clientConfigOf(
  i: TlsVectorInputs,
  keyLog?: (line: string) => void,
  crypto: DeterministicCrypto = deterministicCrypto(hex(i.clientSeed), CLIENT_DRBG_LABEL),
): TlsClientConfig {
  const psk = externalPskOf(i);
  const session = sessionOf(i);
  return {
    ...common(i),
    crypto,
    serverName: i.serverName,
    middleboxCompat: i.middleboxCompat,
    verifier: i.pki === undefined ? NO_CERTIFICATES : createVerifier({ roots: hex(i.pki.root), crypto }),
    ...(i.pskModes === undefined ? {} : { pskModes: i.pskModes }),
    ...(psk === undefined ? {} : { externalPsk: psk }),
    ...(session === undefined ? {} : { session }),
    ...(keyLog === undefined ? {} : { keyLog }),
  };
}

export function serverConfigOf(
  i: TlsVectorInputs,
  crypto: DeterministicCrypto = deterministicCrypto(hex(i.serverSeed), SERVER_DRBG_LABEL),
): TlsServerConfig {
  const psk = externalPskOf(i);
  let sessionTickets: TlsServerConfig["sessionTickets"] = false;
  if (i.tickets !== undefined) {
    const sealer = new TicketSealer(crypto);
    sealer.setKeys(
      i.tickets.keys.map((k) => ({ id: hex(k.id), secret: hex(k.secret), activatesMs: k.activatesMs })),
    );
    sessionTickets = { sealer, count: i.tickets.count };
  }
  return {
    ...common(i),
    crypto,
    sessionTickets,
    ...(i.pki === undefined
      ? {}
      : {
          certificate: {
            chain: i.pki.chain.map(hex),
            key: importPrivateKey(hex(i.pki.serverKeyPkcs8), crypto).signingKey,
          },
        }),
    ...(psk === undefined
      ? {}
      : { externalPsks: (identity: Uint8Array) => (bytesEqual(identity, psk.identity) ? psk : undefined) }),
  };
}

/** Takes what `from` wrote, as records; releases records it held while its output waited. */
function drain(from: TlsConnection): Uint8Array[] {
  const out = outgoingRecords(from.takeOutgoing());
  if (from.heldRecords) from.receive(new Uint8Array(0));
  return out;
}

function act(step: Step, side: "client" | "server", conn: TlsConnection, i: TlsVectorInputs): void {
  if (step === "client-data" && side === "client") conn.send(hex(i.clientData));
  if (step === "server-data" && side === "server") conn.send(hex(i.serverData));
  if (step === "client-close" && side === "client") conn.close();
  if (step === "server-close" && side === "server") conn.close();
}

export interface RawRecord {
  step: Step;
  direction: Direction;
  bytes: Uint8Array;
}

/** Runs both engines through STEPS; returns every record in wire order and the connections. */
export function runPair(i: TlsVectorInputs): {
  records: RawRecord[];
  client: TlsConnection;
  server: TlsConnection;
  keyLog: string[];
  draws: { client: readonly Draw[]; server: readonly Draw[] };
} {
  const keyLog: string[] = [];
  const clientCrypto = deterministicCrypto(hex(i.clientSeed), CLIENT_DRBG_LABEL);
  const serverCrypto = deterministicCrypto(hex(i.serverSeed), SERVER_DRBG_LABEL);
  const client = createTlsClient(clientConfigOf(i, (line) => keyLog.push(line), clientCrypto));
  const server = createTlsServer(serverConfigOf(i, serverCrypto));
  const records: RawRecord[] = [];
  for (const step of STEPS) {
    act(step, "client", client, i);
    act(step, "server", server, i);
    let round = 0;
    for (; round < MAX_PUMP_ROUNDS; round++) {
      const fromClient = drain(client);
      for (const r of fromClient) {
        records.push({ step, direction: "client->server", bytes: r });
        server.receive(r);
      }
      const fromServer = drain(server);
      for (const r of fromServer) {
        records.push({ step, direction: "server->client", bytes: r });
        client.receive(r);
      }
      if (fromClient.length === 0 && fromServer.length === 0) break;
    }
    if (round === MAX_PUMP_ROUNDS) throw new Error(`vector run: step ${step} did not settle`);
    for (const [name, c] of [
      ["client", client],
      ["server", server],
    ] as const) {
      if (c.error !== undefined) throw new Error(`vector run: ${name} failed in ${step}: ${c.error.message}`);
    }
  }
  return {
    records,
    client,
    server,
    keyLog,
    draws: { client: clientCrypto.draws, server: serverCrypto.draws },
  };
}

/**
 * One engine against the recorded peer: `side` is built from the inputs, fed
 * the other side's recorded records step by step, and what it writes is
 * returned (to compare with its own recorded records).
 */
export function replayOneSide(
  v: TlsVector,
  side: "client" | "server",
): { written: Hex[]; conn: TlsConnection } {
  const conn =
    side === "client" ? createTlsClient(clientConfigOf(v.inputs)) : createTlsServer(serverConfigOf(v.inputs));
  const peerDirection: Direction = side === "client" ? "server->client" : "client->server";
  const written: Hex[] = [];
  for (const step of STEPS) {
    act(step, side, conn, v.inputs);
    for (const r of drain(conn)) written.push(toHex(r));
    for (const r of v.records) {
      if (r.step !== step || r.direction !== peerDirection) continue;
      conn.receive(hex(r.hex));
      for (const w of drain(conn)) written.push(toHex(w));
    }
  }
  return { written, conn };
}

const CONTENT_TYPE_NAMES = new Map<number, string>(Object.entries(ContentType).map(([k, v]) => [v, k]));
const HANDSHAKE_NAMES = new Map<number, string>(Object.entries(HandshakeType).map(([k, v]) => [v, k]));
const contentTypeName = (t: number) => CONTENT_TYPE_NAMES.get(t) ?? `unknown(${t})`;

/** The NSS key-log labels (draft-ietf-tls-keylogfile) as the RFC 8446 §7.1 names them. */
const KEY_LOG_TO_RFC8446: Record<string, string> = {
  [KeyLogLabel.clientHandshake]: "client_handshake_traffic_secret",
  [KeyLogLabel.serverHandshake]: "server_handshake_traffic_secret",
  [KeyLogLabel.clientApplication]: "client_application_traffic_secret_0",
  [KeyLogLabel.serverApplication]: "server_application_traffic_secret_0",
  [KeyLogLabel.exporter]: "exporter_master_secret",
};

/** The secrets a port checks its key schedule against, from the key log and the PSK inputs. */
function secretsOf(i: TlsVectorInputs, keyLog: readonly string[]): Record<string, Hex> {
  const out: Record<string, Hex> = {};
  const suite = cipherSuiteByName(i.cipherSuites[0] ?? "TLS_CHACHA20_POLY1305_SHA256");
  const crypto = defaultCrypto();
  const hash = crypto.hash(suite.hash);
  let psk: Uint8Array | undefined;
  let binderLabel: string | undefined;
  const e = i.externalPsk;
  if (e !== undefined && e.importerContext !== undefined) {
    // RFC 9258 §5.1: the imported identity and ipsk for (TLS 1.3, this suite's hash).
    const imported = importPsk(
      crypto.hash(e.hash),
      hex(e.key),
      { identity: hex(e.identity), context: hex(e.importerContext) },
      TARGET_PROTOCOL_TLS13,
      suite.hash,
    );
    out.imported_identity = toHex(imported.identity);
    out.ipsk = toHex(imported.ipsk);
    psk = imported.ipsk;
    binderLabel = "imp binder";
  } else if (e !== undefined) {
    psk = hex(e.key);
    binderLabel = "ext binder";
  } else if (i.session !== undefined) {
    psk = hex(i.session.psk);
    binderLabel = "res binder";
  }
  if (psk !== undefined && binderLabel !== undefined) {
    // RFC 8446 §7.1: Early Secret = HKDF-Extract(0, PSK); binder_key = Derive-Secret(., label, "").
    const early = hash.hkdfExtract(new Uint8Array(hash.outputLength), psk);
    out.early_secret = toHex(early);
    out[`binder_key (${binderLabel})`] = toHex(
      deriveSecret(hash, early, binderLabel, hash.digest(new Uint8Array(0))),
    );
  }
  for (const line of keyLog) {
    const [label, , secret] = line.split(" ");
    const name = label === undefined ? undefined : KEY_LOG_TO_RFC8446[label];
    if (name !== undefined && secret !== undefined) out[name] = secret;
  }
  return out;
}

const EXTENSION_NAMES = new Map<number, string>(Object.entries(ExtensionType).map(([k, v]) => [v, k]));

/** A decoded value as JSON: bytes as hex, Extensions as a list of { type, name, data }. */
function jsonOf(value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (value instanceof Extensions) {
    return value.list.map((e) => ({
      type: e.type,
      name: EXTENSION_NAMES.get(e.type) ?? "unknown",
      data: toHex(e.data),
    }));
  }
  if (Array.isArray(value)) return value.map(jsonOf);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonOf(v)]));
  }
  return value;
}

/** The fields of one handshake message body, through the engine's own decoders (src/tls/codec/messages.ts). */
function messageFields(type: number, body: Uint8Array, hashLength: number): Record<string, unknown> {
  switch (type) {
    case HandshakeType.client_hello:
      return jsonOf(clientHello.decode(body)) as Record<string, unknown>;
    case HandshakeType.server_hello:
      return jsonOf(serverHello.decode(body)) as Record<string, unknown>;
    case HandshakeType.encrypted_extensions:
      return { extensions: jsonOf(encryptedExtensions.decode(body)) };
    case HandshakeType.certificate:
      return jsonOf(certificate.decode(body)) as Record<string, unknown>;
    case HandshakeType.certificate_verify:
      return jsonOf(certificateVerify.decode(body)) as Record<string, unknown>;
    case HandshakeType.finished:
      return { verifyData: toHex(finished.decode(body, hashLength)) };
    case HandshakeType.new_session_ticket:
      return jsonOf(newSessionTicket.decode(body)) as Record<string, unknown>;
    default:
      return {};
  }
}

/** Decrypts each direction with the logged traffic secrets and splits out the handshake messages. */
export function annotate(
  i: TlsVectorInputs,
  raw: readonly RawRecord[],
  secrets: Record<string, Hex>,
): TranscriptRecord[] {
  const suite = cipherSuiteByName(i.cipherSuites[0] ?? "TLS_CHACHA20_POLY1305_SHA256");
  const crypto = defaultCrypto();
  const hash = crypto.hash(suite.hash);
  const aead = crypto.aead(suite.aead);
  const perDirection = new Map<Direction, { phase: number; seq: bigint; joiner: HandshakeJoiner }>([
    ["client->server", { phase: 0, seq: 0n, joiner: new HandshakeJoiner() }],
    ["server->client", { phase: 0, seq: 0n, joiner: new HandshakeJoiner() }],
  ]);
  const secretName = (d: Direction, phase: number) =>
    `${d === "client->server" ? "client" : "server"}_${phase === 1 ? "handshake_traffic_secret" : "application_traffic_secret_0"}`;
  return raw.map((r) => {
    const state = perDirection.get(r.direction)!;
    const type = r.bytes[0] ?? 0;
    const rec: TranscriptRecord = {
      step: r.step,
      direction: r.direction,
      hex: toHex(r.bytes),
      contentType: contentTypeName(type),
      protection: "plaintext",
    };
    let content: Uint8Array | undefined;
    let innerType = type;
    if (type === ContentType.application_data) {
      if (state.phase === 0) state.phase = 1;
      const secret = secrets[secretName(r.direction, state.phase)];
      if (secret === undefined) throw new Error(`annotate: no ${secretName(r.direction, state.phase)}`);
      const { key, iv } = trafficKeys(hash, aead, hex(secret));
      // Opened here, not through RecordProtector, so the transcript is a second reading of the
      // engine's records (what a port does), not the engine agreeing with itself.
      // RFC 8446 §5.3: nonce = iv XOR the 64-bit sequence number, left-padded.
      const nonce = iv.slice();
      for (let b = 0; b < 8; b++)
        nonce[nonce.length - 1 - b]! ^= Number((state.seq >> BigInt(8 * b)) & 0xffn);
      state.seq++;
      const plain = aead
        .importKey(key)
        .open(nonce, r.bytes.subarray(RECORD_HEADER_BYTES), r.bytes.subarray(0, RECORD_HEADER_BYTES));
      if (plain === null) throw new Error(`annotate: a ${r.direction} record does not decrypt`);
      // RFC 8446 §5.4: the real content type is the last non-zero byte.
      let end = plain.length - 1;
      while (end >= 0 && plain[end] === 0) end--;
      innerType = plain[end] ?? 0;
      content = plain.subarray(0, end);
      rec.protection = state.phase === 1 ? "handshake" : "application";
      rec.inner = { contentType: contentTypeName(innerType), content: toHex(content) };
    } else if (type === ContentType.handshake) {
      content = r.bytes.subarray(RECORD_HEADER_BYTES);
    }
    if (innerType === ContentType.handshake && content !== undefined) {
      state.joiner.push(content.slice());
      const messages: TranscriptMessage[] = [];
      let sawFinished = false;
      for (let m = state.joiner.next(); m !== undefined; m = state.joiner.next()) {
        messages.push({
          type: HANDSHAKE_NAMES.get(m.type) ?? `unknown(${m.type})`,
          hex: toHex(m.raw),
          fields: messageFields(m.type, m.body, hash.outputLength),
        });
        if (m.type === HandshakeType.finished) sawFinished = true;
      }
      if (messages.length > 0) rec.handshake = messages;
      // The record that carries a side's Finished is the last under its handshake traffic key.
      if (sawFinished && state.phase === 1) {
        state.phase = 2;
        state.seq = 0n;
      }
    }
    return rec;
  });
}

const ML_KEM_IMPLS: Partial<Record<KemName, typeof ml_kem768>> = {
  "ml-kem-512": ml_kem512,
  "ml-kem-768": ml_kem768,
  "ml-kem-1024": ml_kem1024,
};

/**
 * The (EC)DHE input of §7.1 from the client's side: each component's secret
 * key rebuilt from its recorded draw (in the group's component order, the
 * order the shares are concatenated in), the server's share split into the
 * components' ciphertexts, and the secrets concatenated (draft-ietf-tls-ecdhe-mlkem).
 */
function recomputeKemSecret(
  group: GroupName,
  messages: readonly TranscriptMessage[],
  draws: readonly Draw[],
): Uint8Array {
  // Its KEMs take raw secret keys (the process's may hold their own key objects); nothing is drawn.
  const crypto = deterministicCrypto(new Uint8Array(0), "schedule (no randomness drawn)");
  const sh = messages.find((m) => m.type === "server_hello");
  const extensions = sh?.fields.extensions as { name: string; data: Hex }[] | undefined;
  const share = extensions?.find((e) => e.name === "key_share");
  if (share === undefined) throw new Error("schedule: no server key_share");
  // KeyShareEntry (§4.2.8): group u16 ‖ key_exchange<1..2^16-1>.
  let ciphertexts = hex(share.data).subarray(4);
  const keygens = draws.filter(
    (d) => d.purpose === "ml-kem keygen d||z" || d.purpose === "x25519 private key",
  );
  const secrets: Uint8Array[] = [];
  groupByName(group).components.forEach((name, index) => {
    const kem = crypto.kem(name);
    const draw = keygens[index];
    const impl = ML_KEM_IMPLS[name];
    if (draw === undefined) throw new Error(`schedule: no key generation draw for ${name}`);
    const secretKey = impl === undefined ? hex(draw.hex) : impl.keygen(hex(draw.hex)).secretKey;
    secrets.push(kem.decapsulate(secretKey, ciphertexts.subarray(0, kem.ciphertextLength)));
    ciphertexts = ciphertexts.subarray(kem.ciphertextLength);
  });
  if (ciphertexts.length !== 0) throw new Error("schedule: server key share longer than its components");
  return concatBytes(...secrets);
}

/**
 * The rest of the RFC 8446 §7.1 schedule, recomputed here from the PSK, the
 * KEM shared secret (decapsulated with the client's key from its recorded
 * draw) and the transcript, and checked against the secrets the engine
 * logged: the vector's secrets are then two derivations that agree.
 */
function completeSchedule(
  i: TlsVectorInputs,
  negotiated: TlsVector["negotiated"],
  secrets: Record<string, Hex>,
  records: readonly TranscriptRecord[],
  clientDraws: readonly Draw[],
): Record<string, Hex> {
  const suite = cipherSuiteByName(negotiated.cipherSuite as CipherSuiteName);
  const hash = defaultCrypto().hash(suite.hash);
  const zeros = new Uint8Array(hash.outputLength);
  const empty = hash.digest(new Uint8Array(0));
  const messages = records.flatMap((r) => r.handshake ?? []).filter((m) => m.type !== "new_session_ticket");
  const th = (upTo: string, nth = 1): Uint8Array => {
    const state = hash.create();
    let seen = 0;
    for (const m of messages) {
      state.update(hex(m.hex));
      if (m.type === upTo && ++seen === nth) return state.digest();
    }
    throw new Error(`schedule: no ${upTo} #${nth} in the transcript`);
  };
  const out: Record<string, Hex> = {};
  const pskUsed = negotiated.pskMode !== undefined;
  const psk = pskUsed ? (secrets.ipsk ?? i.externalPsk?.key ?? i.session?.psk) : undefined;
  if (pskUsed && psk === undefined) throw new Error("schedule: a PSK mode without a PSK");
  const early = hash.hkdfExtract(zeros, psk === undefined ? zeros : hex(psk));
  let shared: Uint8Array = zeros;
  if (negotiated.group !== undefined) {
    shared = recomputeKemSecret(negotiated.group as GroupName, messages, clientDraws);
    out.kem_shared_secret = toHex(shared);
  }
  const handshake = hash.hkdfExtract(deriveSecret(hash, early, "derived", empty), shared);
  const master = hash.hkdfExtract(deriveSecret(hash, handshake, "derived", empty), zeros);
  const hello = th("server_hello");
  const serverFinished = th("finished", 1);
  const clientFinished = th("finished", 2);
  const recomputed: Record<string, Uint8Array> = {
    early_secret: early,
    handshake_secret: handshake,
    client_handshake_traffic_secret: deriveSecret(hash, handshake, "c hs traffic", hello),
    server_handshake_traffic_secret: deriveSecret(hash, handshake, "s hs traffic", hello),
    master_secret: master,
    client_application_traffic_secret_0: deriveSecret(hash, master, "c ap traffic", serverFinished),
    server_application_traffic_secret_0: deriveSecret(hash, master, "s ap traffic", serverFinished),
    exporter_master_secret: deriveSecret(hash, master, "exp master", serverFinished),
    resumption_master_secret: deriveSecret(hash, master, "res master", clientFinished),
  };
  for (const [name, value] of Object.entries(recomputed)) {
    const logged = secrets[name];
    if (logged !== undefined && logged !== toHex(value)) {
      throw new Error(`schedule: ${name} recomputed differs from the engine's`);
    }
    out[name] = toHex(value);
  }
  return out;
}

/** Runs the inputs and builds the whole vector. */
export function buildTlsVector(name: string, description: string, inputs: TlsVectorInputs): TlsVector {
  const { records, client, keyLog, draws } = runPair(inputs);
  const info = client.info;
  if (info === undefined) throw new Error(`vector ${name}: the handshake did not complete`);
  const logged = secretsOf(inputs, keyLog);
  const negotiated: TlsVector["negotiated"] = {
    cipherSuite: info.cipherSuite,
    ...(info.group === undefined ? {} : { group: info.group }),
    ...(info.pskMode === undefined ? {} : { pskMode: info.pskMode }),
    resumed: info.resumed,
    ...(info.signatureScheme === undefined ? {} : { signatureScheme: info.signatureScheme }),
    ...(info.alpn === undefined ? {} : { alpn: info.alpn }),
  };
  const transcript = annotate(inputs, records, logged);
  const secrets = { ...logged, ...completeSchedule(inputs, negotiated, logged, transcript, draws.client) };
  return { name, description, inputs, negotiated, secrets, draws, records: transcript };
}

/** Seeds are fixed text, hashed, so a reader sees where each came from. */
function seed(label: string): Hex {
  return toHex(defaultCrypto().hash("sha256").digest(utf8Encode(label)));
}

/** 2026-01-01T00:00:00Z: inside the vector certificates' validity. */
export const VECTOR_NOW_MS = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;

const EMBEDDED_BASE = {
  nowMs: VECTOR_NOW_MS,
  cipherSuites: ["TLS_CHACHA20_POLY1305_SHA256"] as CipherSuiteName[],
  groups: ["MLKEM768"] as GroupName[],
  signatureSchemes: ["ml-dsa-44"] as SignatureName[],
  alpnProtocols: ["pqrpc/1"],
  recordSizeLimit: 2048,
  middleboxCompat: false,
  clientData: toHex(utf8Encode("ping from the device")),
  serverData: toHex(utf8Encode("pong from the server")),
};

const EXTERNAL_PSK = {
  identity: toHex(utf8Encode("device-0042")),
  key: seed("pqrpc vectors external psk"),
  hash: "sha256" as HashName,
  importerContext: toHex(utf8Encode("pqrpc embedded profile")),
};

const TICKET_KEYS = [
  {
    id: seed("ticket key id").slice(0, 2 * TICKET_KEY_ID_BYTES),
    secret: seed("ticket key secret"),
    activatesMs: 0,
  },
];

/** The ML-DSA-44 chain of the certificate profile, made once with its own DRBG. */
function vectorPki(): NonNullable<TlsVectorInputs["pki"]> {
  const p = createDevelopmentPki({
    algorithm: "ml-dsa-44",
    crypto: deterministicCrypto(hex(seed("pki")), PKI_DRBG_LABEL),
    notBefore: new Date(VECTOR_NOW_MS - DAY_MS),
    validityDays: 3650,
    subjectAltNames: ["device.example"],
  });
  return {
    root: toHex(p.ca.certificate),
    chain: p.server.certifiedKey.chain.map(toHex),
    serverKeyPkcs8: toHex(p.server.keyPair.pkcs8),
  };
}

/** Every profile of issue 8 part 7, built from fixed inputs. */
export function makeTlsVectors(): TlsVector[] {
  const pki = vectorPki();
  const psk = (mode: "psk_dhe_ke" | "psk_ke", tag: string): TlsVectorInputs => ({
    ...EMBEDDED_BASE,
    clientSeed: seed(`client ${tag}`),
    serverSeed: seed(`server ${tag}`),
    serverName: false,
    pskModes: [mode],
    externalPsk: EXTERNAL_PSK,
  });
  const certificate: TlsVectorInputs = {
    ...EMBEDDED_BASE,
    clientSeed: seed("client certificate"),
    serverSeed: seed("server certificate"),
    serverName: "device.example",
    pki,
    tickets: { keys: TICKET_KEYS, count: 1 },
  };
  const certificateVector = buildTlsVector(
    "certificate-mlkem768-mldsa44-chacha20",
    "Full handshake: MLKEM768 key exchange, ML-DSA-44 server chain (leaf, root), ChaCha20-Poly1305, record_size_limit 2048; the server issues one ticket.",
    certificate,
  );
  // The resumption profile resumes from the ticket the certificate run issued, a minute later.
  const { session } = ticketOf(certificate);
  const resumption: TlsVectorInputs = {
    ...EMBEDDED_BASE,
    nowMs: VECTOR_NOW_MS + 60_000,
    clientSeed: seed("client resumption"),
    serverSeed: seed("server resumption"),
    serverName: "device.example",
    pskModes: ["psk_dhe_ke"],
    session,
    tickets: { keys: TICKET_KEYS, count: 1 },
  };
  return [
    buildTlsVector(
      "psk-dhe-ke-mlkem768-chacha20",
      "External PSK through the RFC 9258 importer, psk_dhe_ke over MLKEM768, ChaCha20-Poly1305, record_size_limit 2048.",
      psk("psk_dhe_ke", "psk_dhe_ke"),
    ),
    buildTlsVector(
      "psk-dhe-ke-x25519mlkem768-chacha20",
      "The PSK profile over the hybrid X25519MLKEM768 (0x11EC): shares ML-KEM-768 ‖ X25519, secret ML-KEM ‖ X25519.",
      { ...psk("psk_dhe_ke", "psk_dhe_ke hybrid"), groups: ["X25519MLKEM768"] },
    ),
    buildTlsVector(
      "psk-ke-chacha20",
      "External PSK through the RFC 9258 importer, psk_ke (no key exchange), ChaCha20-Poly1305, record_size_limit 2048.",
      psk("psk_ke", "psk_ke"),
    ),
    buildTlsVector(
      "resumption-psk-dhe-ke-mlkem768-chacha20",
      "Resumption (RFC 8446 §2.2) from the ticket of the certificate vector, psk_dhe_ke over MLKEM768, ChaCha20-Poly1305.",
      resumption,
    ),
    certificateVector,
  ];
}

/** The ticket a client keeps from the run of `inputs` (which must issue one). */
function ticketOf(inputs: TlsVectorInputs): { session: NonNullable<TlsVectorInputs["session"]> } {
  const sessions: ResumptionSession[] = [];
  const client = createTlsClient({ ...clientConfigOf(inputs), onSessionTicket: (s) => sessions.push(s) });
  const server = createTlsServer(serverConfigOf(inputs));
  for (let round = 0; round < MAX_PUMP_ROUNDS; round++) {
    const a = drain(client);
    for (const r of a) server.receive(r);
    const b = drain(server);
    for (const r of b) client.receive(r);
    if (a.length === 0 && b.length === 0) break;
  }
  const s = sessions[0];
  if (s === undefined) throw new Error("vector run: the certificate profile issued no ticket");
  return {
    session: {
      cipherSuite: s.cipherSuite,
      ticket: toHex(s.ticket),
      psk: toHex(s.psk),
      ageAdd: s.ageAdd,
      lifetimeSeconds: s.lifetimeSeconds,
      receivedAtMs: s.receivedAtMs,
      ...(s.serverName === undefined ? {} : { serverName: s.serverName }),
      ...(s.alpn === undefined ? {} : { alpn: s.alpn }),
    },
  };
}
