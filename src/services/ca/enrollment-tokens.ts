/**
 * One-time enrollment tokens for the CA service's Enroll: the operator makes
 * one per device or server (`pqrpc ca token`), bound to the names it may get
 * a certificate for and to an expiry. The store keeps only a SHA-256 of each
 * token, so reading the store file does not let anyone enroll; a token is
 * removed when used. The file format, one JSON object:
 *
 *   { "format": "pqrpc-enrollment-tokens/1",
 *     "tokens": [ { "sha256": "<64 hex>", "names": ["host", "10.0.0.1"], "expires": "<ISO 8601>" } ] }
 */
import { constantTimeEqual, fromHex, toHex, utf8Encode } from "../../bytes/bytes.ts";
import type { Crypto } from "../../crypto/types.ts";
import { CodedError } from "../../errors/coded-error.ts";

export const ENROLLMENT_TOKEN_FORMAT = "pqrpc-enrollment-tokens/1";
/** Tokens a store holds at most (a store file of them stays well under MAX_ENROLLMENT_TOKEN_FILE_BYTES). */
export const MAX_ENROLLMENT_TOKENS = 10_000;
export const MAX_ENROLLMENT_TOKEN_FILE_BYTES = 8 * 1024 * 1024;
/** Names one token may be bound to. */
export const MAX_NAMES_PER_TOKEN = 32;
/** Longest token text Enroll looks at; anything longer is refused unhashed. */
export const MAX_ENROLLMENT_TOKEN_CHARS = 128;
/** Default time a token stays usable, s. */
export const DEFAULT_ENROLLMENT_TOKEN_TTL_SECONDS = 24 * 3600;
const TOKEN_PREFIX = "pqrpc-enroll-";
const TOKEN_RANDOM_BYTES = 32;

export type EnrollmentTokenErrorCode = "malformed" | "full";

export class EnrollmentTokenError extends CodedError<EnrollmentTokenErrorCode> {
  override readonly name = "EnrollmentTokenError";
}

export interface EnrollmentGrant {
  /** DNS names and IP literals the certificate may name. */
  readonly names: readonly string[];
  readonly expiresMs: number;
}

interface Entry extends EnrollmentGrant {
  readonly sha256: Uint8Array;
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The tokens not yet used; persisted by the caller through format() after every change. */
export class EnrollmentTokens {
  private entries: Entry[];

  private constructor(
    private readonly crypto: Crypto,
    entries: Entry[],
  ) {
    this.entries = entries;
  }

  static empty(crypto: Crypto): EnrollmentTokens {
    return new EnrollmentTokens(crypto, []);
  }

  static parse(text: string, crypto: Crypto): EnrollmentTokens {
    const bad = (why: string) => new EnrollmentTokenError("malformed", `enrollment token store: ${why}`);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw bad("not JSON");
    }
    const { format, tokens } = (doc ?? {}) as { format?: unknown; tokens?: unknown };
    if (format !== ENROLLMENT_TOKEN_FORMAT) throw bad(`format is not "${ENROLLMENT_TOKEN_FORMAT}"`);
    if (!Array.isArray(tokens) || tokens.length > MAX_ENROLLMENT_TOKENS) {
      throw bad(`"tokens" must list at most ${MAX_ENROLLMENT_TOKENS} tokens`);
    }
    const entries = tokens.map((t, i): Entry => {
      const { sha256, names, expires } = (t ?? {}) as {
        sha256?: unknown;
        names?: unknown;
        expires?: unknown;
      };
      if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) throw bad(`token ${i}: "sha256"`);
      if (
        !Array.isArray(names) ||
        names.length === 0 ||
        names.length > MAX_NAMES_PER_TOKEN ||
        !names.every((n) => typeof n === "string" && n.length > 0)
      ) {
        throw bad(`token ${i}: "names" must list 1 to ${MAX_NAMES_PER_TOKEN} names`);
      }
      const expiresMs = typeof expires === "string" ? Date.parse(expires) : Number.NaN;
      if (!Number.isSafeInteger(expiresMs)) throw bad(`token ${i}: "expires" must be an ISO 8601 time`);
      return { sha256: fromHex(sha256), names: names as string[], expiresMs };
    });
    return new EnrollmentTokens(crypto, entries);
  }

  format(): string {
    const doc = {
      format: ENROLLMENT_TOKEN_FORMAT,
      tokens: this.entries.map((e) => ({
        sha256: toHex(e.sha256),
        names: e.names,
        expires: new Date(e.expiresMs).toISOString(),
      })),
    };
    return `${JSON.stringify(doc, null, 2)}\n`;
  }

  get size(): number {
    return this.entries.length;
  }

  /** A new token for `names`, usable once until expiresMs; returns the token text (shown once, never stored). */
  issue(grant: EnrollmentGrant, nowMs: number): string {
    if (grant.names.length === 0 || grant.names.length > MAX_NAMES_PER_TOKEN) {
      throw new EnrollmentTokenError("malformed", `a token names 1 to ${MAX_NAMES_PER_TOKEN} names`);
    }
    this.prune(nowMs);
    if (this.entries.length >= MAX_ENROLLMENT_TOKENS) {
      throw new EnrollmentTokenError("full", `the store holds ${MAX_ENROLLMENT_TOKENS} unused tokens`);
    }
    const token = TOKEN_PREFIX + base64url(this.crypto.randomBytes(TOKEN_RANDOM_BYTES));
    this.entries.push({ sha256: this.digest(token), names: [...grant.names], expiresMs: grant.expiresMs });
    return token;
  }

  /**
   * The grant of a valid, unexpired token, removed from the store so it cannot be used again;
   * undefined for anything else. Every stored hash is compared, in constant time each.
   */
  consume(token: string, nowMs: number): EnrollmentGrant | undefined {
    if (typeof token !== "string" || token.length > MAX_ENROLLMENT_TOKEN_CHARS) return undefined;
    const digest = this.digest(token);
    let found = -1;
    for (let i = 0; i < this.entries.length; i++) {
      if (constantTimeEqual(this.entries[i]!.sha256, digest)) found = i;
    }
    if (found < 0) return undefined;
    const [entry] = this.entries.splice(found, 1);
    return entry!.expiresMs > nowMs ? { names: entry!.names, expiresMs: entry!.expiresMs } : undefined;
  }

  /** Drops expired tokens; true when any was dropped. */
  prune(nowMs: number): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.expiresMs > nowMs);
    return this.entries.length !== before;
  }

  private digest(token: string): Uint8Array {
    return this.crypto.hash("sha256").digest(utf8Encode(token));
  }
}
