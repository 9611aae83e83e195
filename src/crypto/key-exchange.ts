/**
 * TLS 1.3 key exchange per NamedGroup (RFC 8446 §4.2.8), built from the
 * registry's KEM components. Hybrid groups concatenate the component key
 * shares, ciphertexts and shared secrets in `components` order, which is the
 * wire order of draft-ietf-tls-ecdhe-mlkem §3 (X25519MLKEM768: ML-KEM first;
 * SecP256r1MLKEM768 / SecP384r1MLKEM1024: ECDH first) and of the OQS
 * x25519_sntrup761 hybrid (X25519 first).
 */
import { concatBytes } from "../bytes/bytes.ts";
import { type GroupInfo, type GroupName, groupByName } from "./registry.ts";
import { type Crypto, CryptoError, type Kem, type KemKeyPair } from "./types.ts";

export interface KeyExchange {
  readonly group: GroupInfo;
  readonly clientShareLength: number;
  readonly serverShareLength: number;
  /** Client key generation: the concatenated public keys in wire order, and the secret state. */
  clientShare(): { share: Uint8Array; state: unknown };
  /**
   * Server side: encapsulates to the client's share. `ephemeral` may supply a
   * fresh key pair for a Diffie-Hellman component (x25519, p256, p384: see
   * isDiffieHellmanKem), made earlier by the same Kem provider: its public key
   * is then the ciphertext and the shared secret is DH(its secret, the client's
   * key), which is what that KEM's encapsulate computes with a pair of its own.
   * The pair's secret is wiped after the agreement. Undefined: encapsulate.
   */
  serverRespond(
    clientShare: Uint8Array,
    ephemeral?: (kem: Kem) => KemKeyPair | undefined,
  ): { share: Uint8Array; sharedSecret: Uint8Array };
  /** Client side: decapsulates the server's share with the state from `clientShare`. */
  clientFinish(state: unknown, serverShare: Uint8Array): Uint8Array;
  /** Wipes the client state's secret keys (after `clientFinish`, or when the handshake fails). */
  dispose?(state: unknown): void;
}

/** The client's secret keys, tied to the exchange that made them. */
class ClientState {
  constructor(
    readonly owner: KeyExchange,
    readonly secretKeys: unknown[],
  ) {}
}

/** The KEMs that are Diffie-Hellman: encapsulate = a fresh key pair's public key, DH(its secret, peer). */
const DIFFIE_HELLMAN_KEMS: ReadonlySet<string> = new Set(["x25519", "p256", "p384"]);

export function isDiffieHellmanKem(name: string): boolean {
  return DIFFIE_HELLMAN_KEMS.has(name);
}

/** Zeroes a KEM secret key where it is bytes (or has fill); a node KeyObject cannot be wiped. */
export function wipeKemSecret(secret: unknown): void {
  wipe(secret);
}

function wipe(secret: unknown): void {
  if (secret instanceof Uint8Array) secret.fill(0);
  else if (typeof (secret as { fill?: unknown } | null)?.fill === "function") {
    (secret as { fill(v: number): unknown }).fill(0);
  }
}

/** Splits `bytes` into pieces of the given lengths; the total must match exactly. */
function split(what: string, bytes: Uint8Array, lengths: readonly number[]): Uint8Array[] {
  const total = lengths.reduce((a, b) => a + b, 0);
  if (!(bytes instanceof Uint8Array) || bytes.length !== total) {
    throw new CryptoError("invalid-input", `${what}: expected ${total} bytes, got ${bytes?.length}`);
  }
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const n of lengths) {
    parts.push(bytes.subarray(offset, offset + n));
    offset += n;
  }
  return parts;
}

/** Runs a component operation, turning any provider failure into invalid-input. */
function component<T>(kem: Kem, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CryptoError) throw e;
    throw new CryptoError("invalid-input", `${kem.name} ${what} failed: ${(e as Error).message}`);
  }
}

/** Concatenates component shared secrets in wire order and wipes the pieces. */
function combine(secrets: Uint8Array[]): Uint8Array {
  const out = concatBytes(...secrets);
  for (const s of secrets) s.fill(0);
  return out;
}

export function keyExchange(crypto: Crypto, group: GroupName): KeyExchange {
  const info = groupByName(group);
  if (info === undefined) throw new CryptoError("unsupported", `unknown group ${group}`);
  const kems = info.components.map((name) => crypto.kem(name));
  const publicKeyLengths = kems.map((k) => k.publicKeyLength);
  const ciphertextLengths = kems.map((k) => k.ciphertextLength);
  const label = `${info.name} key share`;

  const exchange: KeyExchange = {
    group: info,
    clientShareLength: publicKeyLengths.reduce((a, b) => a + b, 0),
    serverShareLength: ciphertextLengths.reduce((a, b) => a + b, 0),

    clientShare() {
      const pairs = kems.map((k) => component(k, "key generation", () => k.generateKeyPair()));
      return {
        share: concatBytes(...pairs.map((p) => p.publicKey)),
        state: new ClientState(
          exchange,
          pairs.map((p) => p.secretKey),
        ),
      };
    },

    serverRespond(clientShare, ephemeral) {
      const publicKeys = split(`client ${label}`, clientShare, publicKeyLengths);
      const results = kems.map((k, i) => {
        const pair = isDiffieHellmanKem(k.name) ? ephemeral?.(k) : undefined;
        if (pair === undefined) return component(k, "encapsulation", () => k.encapsulate(publicKeys[i]!));
        try {
          const sharedSecret = component(k, "encapsulation", () =>
            k.decapsulate(pair.secretKey, publicKeys[i]!),
          );
          return { ciphertext: pair.publicKey, sharedSecret };
        } finally {
          wipe(pair.secretKey);
        }
      });
      return {
        share: concatBytes(...results.map((r) => r.ciphertext)),
        sharedSecret: combine(results.map((r) => r.sharedSecret)),
      };
    },

    clientFinish(state, serverShare) {
      if (!(state instanceof ClientState) || state.owner !== exchange) {
        throw new CryptoError("invalid-input", `${info.name}: state does not belong to this key exchange`);
      }
      const ciphertexts = split(`server ${label}`, serverShare, ciphertextLengths);
      const secrets: Uint8Array[] = [];
      try {
        kems.forEach((k, i) => {
          secrets.push(
            component(k, "decapsulation", () => k.decapsulate(state.secretKeys[i], ciphertexts[i]!)),
          );
        });
      } catch (e) {
        for (const s of secrets) s.fill(0);
        throw e;
      }
      return combine(secrets);
    },

    dispose(state) {
      if (state instanceof ClientState) for (const sk of state.secretKeys) wipe(sk);
    },
  };
  return exchange;
}
