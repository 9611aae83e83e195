/**
 * Per-operation cost of the primitives one TLS 1.3 handshake is made of, with
 * the profile of bench/handshake-profile.ts (TLS_AES_256_GCM_SHA384, so
 * SHA-384; X25519MLKEM768; ML-DSA-65; the "auto" provider choice): HMAC,
 * HKDF-Extract, HKDF-Expand-Label, Finished, one side's whole key schedule,
 * the transcript hash, random bytes, the key shares and the signature. For
 * seeing where a handshake's time goes and comparing two builds on one
 * machine; reporting only.
 *
 *   npx tsx bench/handshake-primitives.ts [filter]
 *
 * PQRPC_PRIMS_BUDGET_MS sets the time spent per operation (default 300 ms).
 */
import { createCrypto, keyExchange, loadWasmProvider } from "../src/crypto/index.ts";
import { deriveSecret, finishedMac, hkdfExpandLabel, KeySchedule } from "../src/tls/key-schedule.ts";
import { Transcript } from "../src/tls/transcript.ts";
import { DEFAULT_BUDGET_MS, formatMicros, medianMicros } from "./op-timer.ts";

/** Sizes as in a handshake: a SHA-384 secret and transcript hash, a TLS random, a CertificateVerify input. */
const SECRET_BYTES = 48;
const RANDOM_BYTES = 32;
const CERTIFICATE_VERIFY_INPUT_BYTES = 64 + 33 + 1 + SECRET_BYTES;
/** A mid-sized handshake message (an EncryptedExtensions is smaller, a Certificate larger). */
const MESSAGE_BYTES = 1024;

const filter = process.argv[2] ?? "";
const budgetMs = Number(process.env["PQRPC_PRIMS_BUDGET_MS"] ?? DEFAULT_BUDGET_MS);
await loadWasmProvider({ algorithms: ["ml-kem-768", "ml-dsa-65"] }).catch(() => undefined);
const crypto = createCrypto();
const hash = crypto.hash("sha384");
const secret = crypto.randomBytes(SECRET_BYTES);
const context = crypto.randomBytes(SECRET_BYTES);
const empty = new Uint8Array(0);

const kx = keyExchange(crypto, "X25519MLKEM768");
const clientShare = kx.clientShare();
kx.dispose?.(clientShare.state);
const mlDsa = crypto.signature("ml-dsa-65");
const pair = mlDsa.generateKeyPair();
const signer = mlDsa.importPrivateKey(pair.privateKey);
const verifier = mlDsa.importPublicKey(pair.publicKey);
const toSign = crypto.randomBytes(CERTIFICATE_VERIFY_INPUT_BYTES);
const signature = signer.sign(toSign);
const message = crypto.randomBytes(MESSAGE_BYTES);
const sharedSecret = crypto.randomBytes(SECRET_BYTES + 32);

/** One side's key schedule of a full handshake, without Finished and traffic keys. */
function fullSchedule(): void {
  const ks = new KeySchedule(hash);
  ks.handshake(sharedSecret);
  ks.clientHandshakeTrafficSecret(context);
  ks.serverHandshakeTrafficSecret(context);
  ks.master();
  ks.clientApplicationTrafficSecret(context);
  ks.serverApplicationTrafficSecret(context);
  ks.exporterMasterSecret(context);
  ks.resumptionMasterSecret(context);
  ks.wipe();
}

const ops: [string, () => unknown][] = [
  ["hmac-sha384 48 B", () => hash.hmac(secret, context)],
  ["hkdf-extract sha384", () => hash.hkdfExtract(secret, sharedSecret)],
  ["hkdf-expand-label 48 B", () => deriveSecret(hash, secret, "c hs traffic", context)],
  ["hkdf-expand-label key 32 B", () => hkdfExpandLabel(hash, secret, "key", empty, 32)],
  ["finished mac", () => finishedMac(hash, secret, context)],
  ["key schedule, one side", fullSchedule],
  [
    "transcript add 1 KiB + hash",
    () => {
      const t = new Transcript(hash);
      t.add(message);
      return t.hash();
    },
  ],
  ["random 32 B", () => crypto.randomBytes(RANDOM_BYTES)],
  [
    "X25519MLKEM768 client share",
    () => {
      const s = kx.clientShare();
      kx.dispose?.(s.state);
    },
  ],
  ["X25519MLKEM768 server respond", () => kx.serverRespond(clientShare.share)],
  ["ml-dsa-65 sign", () => signer.sign(toSign)],
  ["ml-dsa-65 verify", () => verifier.verify(toSign, signature)],
];

const d = crypto.describe();
console.log(
  `# handshake primitives on node ${process.version}; median per op, ${budgetMs} ms each; ` +
    `ml-kem-768:${d["ml-kem-768"]} ml-dsa-65:${d["ml-dsa-65"]} x25519:${d["x25519"]} sha384:${d["sha384"]}`,
);
for (const [name, op] of ops) {
  if (!name.includes(filter)) continue;
  console.log(`${name.padEnd(32)}${formatMicros(medianMicros(op, budgetMs))}`);
}
