/**
 * Per-operation cost of each provider, for the ranking in ./ranking.ts and
 * DESIGN.md §8. Run on each runtime:
 *   npm run bench:crypto -- [filter]
 * Prints median microseconds per operation (noisy on shared machines:
 * compare ratios, not absolutes).
 */

import { createNobleProvider } from "../src/crypto/providers/noble.ts";
import { createNodeProvider } from "../src/crypto/providers/node.ts";
import { createWasmProvider } from "../src/crypto/providers/wasm.ts";
import type { CryptoProvider, KemName, SignatureName } from "../src/crypto/types.ts";
import { formatMicros, medianMicros } from "./op-timer.ts";

const rows: string[][] = [];
const fmt = formatMicros;
const time = (op: () => unknown) => medianMicros(op);

function measureKem(p: CryptoProvider, name: KemName) {
  const kem = p.kem(name);
  if (kem === undefined) return;
  const kp = kem.generateKeyPair();
  const ct = kem.encapsulate(kp.publicKey).ciphertext;
  rows.push([
    name,
    p.name,
    `keygen ${fmt(time(() => kem.generateKeyPair()))}`,
    `encaps ${fmt(time(() => kem.encapsulate(kp.publicKey)))}`,
    `decaps ${fmt(time(() => kem.decapsulate(kp.secretKey, ct)))}`,
  ]);
}

function measureSignature(p: CryptoProvider, name: SignatureName) {
  const sig = p.signature(name);
  if (sig === undefined) return;
  const { publicKey, privateKey } = sig.generateKeyPair();
  const signer = sig.importPrivateKey(privateKey);
  const verifier = sig.importPublicKey(publicKey);
  const message = new Uint8Array(256);
  const s = signer.sign(message);
  rows.push([
    name,
    p.name,
    `sign ${fmt(time(() => signer.sign(message)))}`,
    `verify ${fmt(time(() => verifier.verify(message, s)))}`,
    `import pk+verify ${fmt(time(() => sig.importPublicKey(publicKey).verify(message, s)))}`,
  ]);
}

function measureAead(p: CryptoProvider) {
  const aead = p.aead("aes-256-gcm");
  if (aead === undefined) return;
  const key = aead.importKey(new Uint8Array(32));
  const nonce = new Uint8Array(12);
  const record = new Uint8Array(16384);
  const small = new Uint8Array(64);
  const sealed = key.seal(nonce, record, small);
  rows.push([
    "aes-256-gcm",
    p.name,
    `seal 16 KiB ${fmt(time(() => key.seal(nonce, record, small)))}`,
    `open 16 KiB ${fmt(time(() => key.open(nonce, sealed, small)))}`,
    `seal 64 B ${fmt(time(() => key.seal(nonce, small, small)))}`,
  ]);
}

const filter = process.argv[2] ?? "";
const providers = [createNodeProvider(), await createWasmProvider(), createNobleProvider()];
const kems: KemName[] = ["ml-kem-768", "x25519", "p256", "sntrup761"];
const sigs: SignatureName[] = [
  "ml-dsa-65",
  "falcon-512",
  "slh-dsa-sha2-128f",
  "ed25519",
  "ecdsa-p256-sha256",
];
for (const p of providers) {
  for (const k of kems) if (k.includes(filter)) measureKem(p, k);
  for (const s of sigs) if (s.includes(filter)) measureSignature(p, s);
  if ("aes-256-gcm".includes(filter)) measureAead(p);
}
console.log(`# ${process.version}`);
for (const r of rows.sort((a, b) => a[0]!.localeCompare(b[0]!)))
  console.log(r.map((c) => c.padEnd(22)).join(""));
