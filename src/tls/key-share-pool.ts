/**
 * Precomputed key shares, made off the handshake's path (issue 11 item 4).
 *
 * - Client: whole key shares for a group (X25519MLKEM768: an ML-KEM-768 and
 *   an X25519 key pair), the work a ClientHello waits for.
 * - Server: fresh key pairs for the Diffie-Hellman components of a group
 *   (the X25519 ephemeral of X25519MLKEM768). The ML-KEM encapsulation needs
 *   the client's key and cannot be done ahead.
 *
 * Every entry is fresh randomness used by exactly one handshake: `take*`
 * removes it from the pool before handing it out, and the handshake wipes
 * its secret after the one agreement (ClientShare.finish, serverRespond). An
 * entry older than MAX_POOLED_KEY_SHARE_AGE_MS is wiped and dropped instead
 * of used, `close()` wipes everything left. (A node:crypto KeyObject cannot
 * be zeroed from JavaScript: it is dropped, as the same key made inline is.)
 *
 * The pool refills through the `schedule` function it is given (the Node
 * adapter passes setImmediate), never on its own: the sans-IO engine and the
 * device client use no pool unless their configuration names one, so they
 * start no background work. An empty pool is no error: the handshake makes
 * its key pair inline, as without a pool.
 *
 * What it buys: latency. The key generation leaves the ClientHello's (and
 * the server's flight's) critical path and runs while the process would
 * otherwise wait on the network. It is the same CPU work, so a process that
 * is CPU-bound at saturation completes no more handshakes per second.
 */
import { type KeyExchange, keyExchange, wipeKemSecret } from "../crypto/key-exchange.ts";
import type { GroupInfo, GroupName } from "../crypto/registry.ts";
import type { Crypto, Kem, KemKeyPair, ProviderName } from "../crypto/types.ts";

/** Largest `size` (entries kept per group or KEM). */
export const MAX_KEY_SHARE_POOL_SIZE = 16;
/** Entries kept per group (client) or per Diffie-Hellman KEM (server) by default. */
export const DEFAULT_KEY_SHARE_POOL_SIZE = 2;
/** Groups plus KEMs one pool precomputes for; others are made inline (bounds the pool's memory). */
export const MAX_KEY_SHARE_POOL_KINDS = 4;
/** A precomputed entry older than this is wiped and not used (an idle process does not keep old secrets). */
export const MAX_POOLED_KEY_SHARE_AGE_MS = 60_000;

/** A client key share made ahead: the exchange that made it owns its state. */
export interface PooledClientShare {
  readonly kx: KeyExchange;
  readonly share: Uint8Array;
  readonly state: unknown;
}

export interface KeySharePoolOptions {
  /** The Crypto whose providers make the shares; a handshake with another Crypto does not use the pool. */
  readonly crypto: Crypto;
  /** Entries per group or KEM, 1..MAX_KEY_SHARE_POOL_SIZE; default DEFAULT_KEY_SHARE_POOL_SIZE. */
  readonly size?: number;
  /** Runs the refill later (Node: setImmediate). Absent: the pool refills only in `fill()`. */
  readonly schedule?: (work: () => void) => void;
  /** Millisecond clock for MAX_POOLED_KEY_SHARE_AGE_MS; default Date.now. */
  readonly now?: () => number;
}

export interface KeySharePoolStats {
  /** Entries made by fill(). */
  readonly generated: number;
  /** Entries handed to a handshake. */
  readonly taken: number;
  /** Takes that found the pool empty (the handshake made its own). */
  readonly missed: number;
  /** Entries wiped unused (too old, another provider, close()). */
  readonly discarded: number;
  /** Entries waiting now. */
  readonly pooled: number;
}

interface Entry<T> {
  readonly madeAtMs: number;
  readonly value: T;
}

interface EphemeralKind {
  readonly kem: Kem;
  readonly provider: ProviderName;
  readonly entries: Entry<KemKeyPair>[];
}

interface ClientKind {
  readonly group: GroupInfo;
  readonly entries: Entry<PooledClientShare>[];
}

export class KeySharePool {
  readonly crypto: Crypto;
  readonly size: number;
  private readonly schedule: ((work: () => void) => void) | undefined;
  private readonly now: () => number;
  private readonly clientKinds = new Map<GroupName, ClientKind>();
  private readonly ephemeralKinds = new Map<string, EphemeralKind>();
  private refillPending = false;
  private closed = false;
  private counts = { generated: 0, taken: 0, missed: 0, discarded: 0 };

  constructor(options: KeySharePoolOptions) {
    const size = options.size ?? DEFAULT_KEY_SHARE_POOL_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_KEY_SHARE_POOL_SIZE) {
      throw new RangeError(`key share pool size must be 1..${MAX_KEY_SHARE_POOL_SIZE}, got ${size}`);
    }
    this.crypto = options.crypto;
    this.size = size;
    this.schedule = options.schedule;
    this.now = options.now ?? Date.now;
  }

  get stats(): KeySharePoolStats {
    let pooled = 0;
    for (const k of this.clientKinds.values()) pooled += k.entries.length;
    for (const k of this.ephemeralKinds.values()) pooled += k.entries.length;
    return { ...this.counts, pooled };
  }

  /** A client key share for `group`: a precomputed one, or one made now when none is ready. */
  takeClientShare(group: GroupInfo): PooledClientShare {
    const kind = this.clientKind(group);
    const entry = kind ? this.takeFresh(kind.entries, (v) => v.kx.dispose?.(v.state)) : undefined;
    this.refillSoon();
    if (entry) return entry;
    this.counts.missed++;
    return makeClientShareNow(this.crypto, group);
  }

  /**
   * A fresh key pair of `kem` (a Diffie-Hellman KEM, made by the same provider) for one server
   * key exchange, or undefined when none is ready (the caller encapsulates as usual).
   */
  takeEphemeral(kem: Kem): KemKeyPair | undefined {
    if (this.closed) return undefined;
    let kind = this.ephemeralKinds.get(kem.name);
    if (kind && kind.provider !== kem.provider) {
      // The selection changed (a faster provider loaded): pairs of the old one cannot serve.
      this.discardAll(kind.entries, (v) => wipeKemSecret(v.secretKey));
      this.ephemeralKinds.delete(kem.name);
      kind = undefined;
    }
    if (!kind && this.kinds() < MAX_KEY_SHARE_POOL_KINDS) {
      kind = { kem, provider: kem.provider, entries: [] };
      this.ephemeralKinds.set(kem.name, kind);
    }
    const pair = kind ? this.takeFresh(kind.entries, (v) => wipeKemSecret(v.secretKey)) : undefined;
    this.refillSoon();
    if (!pair) this.counts.missed++;
    return pair;
  }

  /** Tops every group and KEM the pool has served up to `size` (what the scheduled refill runs). */
  fill(): void {
    if (this.closed) return;
    for (const kind of this.clientKinds.values()) {
      while (kind.entries.length < this.size) {
        kind.entries.push({ madeAtMs: this.now(), value: makeClientShareNow(this.crypto, kind.group) });
        this.counts.generated++;
      }
    }
    for (const kind of this.ephemeralKinds.values()) {
      while (kind.entries.length < this.size) {
        kind.entries.push({ madeAtMs: this.now(), value: kind.kem.generateKeyPair() });
        this.counts.generated++;
      }
    }
  }

  /** Wipes every entry; later takes make their key pairs inline and nothing is refilled. */
  close(): void {
    this.closed = true;
    for (const k of this.clientKinds.values()) this.discardAll(k.entries, (v) => v.kx.dispose?.(v.state));
    for (const k of this.ephemeralKinds.values())
      this.discardAll(k.entries, (v) => wipeKemSecret(v.secretKey));
    this.clientKinds.clear();
    this.ephemeralKinds.clear();
  }

  private kinds(): number {
    return this.clientKinds.size + this.ephemeralKinds.size;
  }

  private clientKind(group: GroupInfo): ClientKind | undefined {
    if (this.closed) return undefined;
    let kind = this.clientKinds.get(group.name);
    if (!kind && this.kinds() < MAX_KEY_SHARE_POOL_KINDS) {
      kind = { group, entries: [] };
      this.clientKinds.set(group.name, kind);
    }
    return kind;
  }

  /** The oldest entry still young enough, removed from the pool; stale ones are wiped on the way. */
  private takeFresh<T>(entries: Entry<T>[], wipeEntry: (v: T) => void): T | undefined {
    const now = this.now();
    for (let e = entries.shift(); e !== undefined; e = entries.shift()) {
      if (now - e.madeAtMs <= MAX_POOLED_KEY_SHARE_AGE_MS) {
        this.counts.taken++;
        return e.value;
      }
      wipeEntry(e.value);
      this.counts.discarded++;
    }
    return undefined;
  }

  private discardAll<T>(entries: Entry<T>[], wipeEntry: (v: T) => void): void {
    for (const e of entries.splice(0)) {
      wipeEntry(e.value);
      this.counts.discarded++;
    }
  }

  private refillSoon(): void {
    if (this.closed || this.refillPending || this.schedule === undefined) return;
    this.refillPending = true;
    this.schedule(() => {
      this.refillPending = false;
      try {
        this.fill();
      } catch {
        // A provider that fails here fails the next handshake inline, where the error is reported.
        this.close();
      }
    });
  }
}

/** A client key share made now (what a handshake without a pool does). */
export function makeClientShareNow(crypto: Crypto, group: GroupInfo): PooledClientShare {
  const kx = keyExchange(crypto, group.name);
  const { share, state } = kx.clientShare();
  return { kx, share, state };
}
