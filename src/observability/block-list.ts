/**
 * A bounded, expiring list of blocked sources (IP addresses) that the server
 * consults on accept. Entries expire `ttlMs` after they were (re)blocked;
 * when full, the entry that expires first is dropped, so an attacker who
 * cycles addresses cannot grow it. Time comes in through `now`.
 */

/** Sources blocked at once, unless configured. */
export const DEFAULT_BLOCK_LIST_MAX_ENTRIES = 10_000;
/** How long a source stays blocked, ms, unless configured: 10 minutes. */
export const DEFAULT_BLOCK_TTL_MS = 10 * 60_000;

export interface BlockListOptions {
  readonly maxEntries?: number;
  readonly ttlMs?: number;
  /** Epoch ms (default Date.now). */
  readonly now?: () => number;
}

export interface BlockEntry {
  readonly source: string;
  readonly reason: string;
  readonly expiresAt: number;
}

export class BlockList {
  /** By source; insertion order is expiry order (every entry gets the same ttl). */
  private readonly entries = new Map<string, BlockEntry>();
  readonly maxEntries: number;
  readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: BlockListOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_BLOCK_LIST_MAX_ENTRIES;
    this.ttlMs = options.ttlMs ?? DEFAULT_BLOCK_TTL_MS;
    this.now = options.now ?? Date.now;
    if (!(this.maxEntries >= 1 && this.ttlMs > 0))
      throw new RangeError("block list: maxEntries >= 1, ttlMs > 0");
  }

  block(source: string, reason: string): BlockEntry {
    this.entries.delete(source);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    const entry = { source, reason, expiresAt: this.now() + this.ttlMs };
    this.entries.set(source, entry);
    return entry;
  }

  unblock(source: string): boolean {
    return this.entries.delete(source);
  }

  /** The live entry for `source`, or undefined (an expired one is removed). */
  lookup(source: string): BlockEntry | undefined {
    const e = this.entries.get(source);
    if (e === undefined) return undefined;
    if (this.now() >= e.expiresAt) {
      this.entries.delete(source);
      return undefined;
    }
    return e;
  }

  isBlocked(source: string): boolean {
    return this.lookup(source) !== undefined;
  }

  get size(): number {
    return this.entries.size;
  }
}
