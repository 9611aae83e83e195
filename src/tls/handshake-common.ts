/**
 * Handshake steps that client and server share, written once: key-share
 * computation, the Certificate / CertificateVerify / Finished flight in both
 * directions, and certificate-chain verification under the policy.
 */

import { bytesEqual, copyBytes, utf8Encode } from "../bytes/bytes.ts";
import { keyExchange } from "../crypto/key-exchange.ts";
import {
  type GroupInfo,
  type SignatureSchemeInfo,
  signatureByCodepoint,
  signatureByName,
} from "../crypto/registry.ts";
import { type Crypto, CryptoError, type Hash, type Kem, type SigningKey } from "../crypto/types.ts";
import { type PeerVerifier, PkiError, type VerifiedPeer } from "../pki/types.ts";
import { type AlertName, fatal, TlsError } from "./alert.ts";
import { type Extensions, type KeyShareEntry, u16List } from "./codec/extensions.ts";
import { certificate, certificateVerify, finished, type HandshakeMessage } from "./codec/messages.ts";
import { ExtensionType } from "./codec/types.ts";
import { finishedMac, verifyFinished } from "./key-schedule.ts";
import { type KeySharePool, makeClientShareNow } from "./key-share-pool.ts";
import { enforceSignature, type Policy, signatureAllowed } from "./policy.ts";

export function expectMessage(message: HandshakeMessage, ...types: number[]): void {
  if (!types.includes(message.type)) {
    throw fatal(
      "unexpected_message",
      `handshake message type ${message.type}, expected ${types.join(" or ")}`,
    );
  }
}

/** Runs a crypto step on peer input: malformed shares are illegal_parameter (§4.2.8). */
function peerCrypto<T>(what: string, step: () => T): T {
  try {
    return step();
  } catch (e) {
    if (e instanceof TlsError) throw e;
    if (e instanceof CryptoError && e.code === "invalid-input")
      throw fatal("illegal_parameter", `${what}: ${e.message}`);
    throw fatal("internal_error", `${what}: ${(e as Error).message}`);
  }
}

export interface ClientShare {
  readonly entry: KeyShareEntry;
  /** Completes the exchange with the server's share; returns the shared secret. */
  finish(serverShare: Uint8Array): Uint8Array;
  /** Wipes the secret keys (finish does too); a share that was not used is disposed of this way. */
  dispose(): void;
}

/** A client key share: from `pool` when it serves this Crypto, else made now. */
export function makeClientShare(crypto: Crypto, group: GroupInfo, pool?: KeySharePool): ClientShare {
  const { kx, share, state } =
    pool !== undefined && pool.crypto === crypto
      ? pool.takeClientShare(group)
      : makeClientShareNow(crypto, group);
  return {
    entry: { group: group.codepoint, share },
    finish(serverShare) {
      if (serverShare.length !== kx.serverShareLength) {
        throw fatal(
          "illegal_parameter",
          `${group.name} server share is ${serverShare.length} bytes, expected ${kx.serverShareLength}`,
        );
      }
      try {
        return peerCrypto(`${group.name} key share`, () => kx.clientFinish(state, serverShare));
      } finally {
        kx.dispose?.(state);
      }
    },
    dispose() {
      kx.dispose?.(state);
    },
  };
}

/** The server's key exchange; `pool` (when it serves this Crypto) supplies the Diffie-Hellman ephemerals. */
export function respondToShare(
  crypto: Crypto,
  group: GroupInfo,
  clientShare: Uint8Array,
  pool?: KeySharePool,
): { entry: KeyShareEntry; sharedSecret: Uint8Array } {
  const kx = keyExchange(crypto, group.name);
  if (clientShare.length !== kx.clientShareLength) {
    throw fatal(
      "illegal_parameter",
      `${group.name} client share is ${clientShare.length} bytes, expected ${kx.clientShareLength}`,
    );
  }
  const ephemeral =
    pool !== undefined && pool.crypto === crypto ? (kem: Kem) => pool.takeEphemeral(kem) : undefined;
  const { share, sharedSecret } = peerCrypto(`${group.name} key share`, () =>
    kx.serverRespond(clientShare, ephemeral),
  );
  return { entry: { group: group.codepoint, share }, sharedSecret };
}

// --- CertificateVerify (§4.4.3)
const CONTEXT_PAD_BYTES = 64;
const CONTEXT = {
  server: "TLS 1.3, server CertificateVerify",
  client: "TLS 1.3, client CertificateVerify",
} as const;

export type Side = "client" | "server";

/** 64 spaces, the context string, a zero byte, then the transcript hash. */
export function certificateVerifyInput(side: Side, transcriptHash: Uint8Array): Uint8Array {
  const context = utf8Encode(CONTEXT[side]);
  const out = new Uint8Array(CONTEXT_PAD_BYTES + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, CONTEXT_PAD_BYTES);
  out.set(context, CONTEXT_PAD_BYTES);
  out.set(transcriptHash, CONTEXT_PAD_BYTES + context.length + 1);
  return out;
}

/** Our Certificate and CertificateVerify, appended to the transcript as they are sent. */
export function sendCertificateFlight(
  send: (m: Uint8Array) => void,
  transcript: { add(m: Uint8Array): void; hash(): Uint8Array },
  side: Side,
  chain: readonly Uint8Array[],
  key: SigningKey | undefined,
): void {
  const cert = certificate.encode(new Uint8Array(0), chain);
  transcript.add(cert);
  send(cert);
  if (!key) return;
  const scheme = signatureByName(key.algorithm);
  const signature = key.sign(certificateVerifyInput(side, transcript.hash()));
  const cv = certificateVerify.encode({ scheme: scheme.codepoint, signature });
  transcript.add(cv);
  send(cv);
}

export function sendFinished(
  send: (m: Uint8Array) => void,
  transcript: { add(m: Uint8Array): void; hash(): Uint8Array },
  hash: Hash,
  trafficSecret: Uint8Array,
): void {
  const fin = finished.encode(finishedMac(hash, trafficSecret, transcript.hash()));
  transcript.add(fin);
  send(fin);
}

/** §4.4.4: a wrong verify_data is decrypt_error. */
export function checkFinished(
  hash: Hash,
  trafficSecret: Uint8Array,
  transcriptHash: Uint8Array,
  body: Uint8Array,
): void {
  if (body.length !== hash.outputLength)
    throw fatal("decode_error", `Finished is ${body.length} bytes, expected ${hash.outputLength}`);
  if (!verifyFinished(hash, trafficSecret, transcriptHash, body))
    throw fatal("decrypt_error", "Finished verify_data does not match");
}

/** How pki's verdicts map to alerts (§6.2). */
const PKI_ALERTS: Record<PkiError["code"], AlertName> = {
  "bad-encoding": "bad_certificate",
  "unsupported-algorithm": "unsupported_certificate",
  "bad-signature": "bad_certificate",
  "unknown-ca": "unknown_ca",
  expired: "certificate_expired",
  "name-mismatch": "bad_certificate",
  "bad-usage": "unsupported_certificate",
  "path-too-long": "unknown_ca",
  "disallowed-signature": "bad_certificate",
  // A leaf key outside the policy is the negotiated scheme being refused (SPEC.md "Policies").
  "disallowed-key": "insufficient_security",
  "name-constraints": "bad_certificate",
};

export function verifyPeerChain(
  verifier: PeerVerifier,
  chain: readonly Uint8Array[],
  request: { usage: "server" | "client"; serverName?: string; nowMs: number },
  policy: Policy,
): VerifiedPeer {
  let peer: VerifiedPeer;
  try {
    peer = verifier.verify({
      chain,
      usage: request.usage,
      serverName: request.serverName,
      now: new Date(request.nowMs),
      acceptSignature: (name) => signatureAllowed(policy, signatureByName(name)),
    });
  } catch (e) {
    if (e instanceof PkiError)
      throw fatal(PKI_ALERTS[e.code] ?? "bad_certificate", `peer certificate: ${e.message}`);
    if (e instanceof TlsError) throw e;
    throw fatal("bad_certificate", `peer certificate: ${(e as Error).message}`);
  }
  // The leaf's key type is what signs this handshake: the policy applies to it.
  enforceSignature(policy, signatureByName(peer.algorithm));
  // And to every signature on the path (issue 9 item 4): whoever forges a classical CA
  // signature could otherwise certify any PQ leaf. Checked again here, for verifiers
  // other than TrustStore that may ignore acceptSignature.
  // The engine parses no certificate (that is the verifier's job, and keeps X.509 out of device
  // builds): a verifier that reports no path signatures is refused rather than trusted.
  const pathSignatures = peer.pathSignatures;
  if (pathSignatures === undefined) {
    throw fatal("bad_certificate", "the certificate verifier reported no path signatures to check");
  }
  for (const name of pathSignatures) {
    if (!signatureAllowed(policy, signatureByName(name))) {
      throw fatal(
        "bad_certificate",
        `peer certificate path: a ${name} signature is refused by policy ${policy.name}`,
      );
    }
  }
  return peer;
}

/** Reads a peer Certificate message: context check and per-entry extension rules (§4.4.2). */
export function readCertificateChain(body: Uint8Array, expectedContext: Uint8Array): Uint8Array[] {
  const msg = certificate.decode(body);
  if (!bytesEqual(msg.context, expectedContext)) {
    throw fatal("illegal_parameter", "Certificate: certificate_request_context does not match");
  }
  // We request neither OCSP nor SCTs, so any entry extension is unsolicited.
  for (const e of msg.entries) e.extensions.check("CT", new Set());
  // Copies: the chain outlives the message (NegotiatedInfo.peerCertificates).
  return msg.entries.map((e) => copyBytes(e.data));
}

/** Checks a peer CertificateVerify (§4.4.3) against the verified leaf key. */
export function checkCertificateVerify(
  body: Uint8Array,
  side: Side,
  transcriptHash: Uint8Array,
  peer: VerifiedPeer,
  offered: readonly SignatureSchemeInfo[],
  policy: Policy,
): SignatureSchemeInfo {
  const cv = certificateVerify.decode(body);
  const scheme = signatureByCodepoint(cv.scheme);
  if (!scheme || !offered.some((s) => s.codepoint === cv.scheme)) {
    throw fatal(
      "illegal_parameter",
      `CertificateVerify uses scheme 0x${cv.scheme.toString(16)} that was not offered`,
    );
  }
  if (scheme.name !== peer.algorithm) {
    throw fatal(
      "illegal_parameter",
      `CertificateVerify scheme ${scheme.name} does not match the certificate key ${peer.algorithm}`,
    );
  }
  enforceSignature(policy, scheme);
  // §4.4.3: a signature that does not verify, whatever its length (empty included), is decrypt_error.
  let ok = false;
  try {
    ok =
      cv.signature.length > 0 && peer.key.verify(certificateVerifyInput(side, transcriptHash), cv.signature);
  } catch (e) {
    if (!(e instanceof CryptoError && e.code === "invalid-input"))
      throw fatal("internal_error", `CertificateVerify: ${(e as Error).message}`);
  }
  if (!ok) throw fatal("decrypt_error", "CertificateVerify signature does not verify");
  return scheme;
}

/** The peer's signature_algorithms, restricted to schemes we know. */
export function peerSignatureSchemes(extensions: Extensions): SignatureSchemeInfo[] | undefined {
  const data = extensions.get(ExtensionType.signature_algorithms);
  if (!data) return undefined;
  return u16List
    .decode(data, "signature_algorithms")
    .map((c) => signatureByCodepoint(c))
    .filter((s): s is SignatureSchemeInfo => s !== undefined);
}
