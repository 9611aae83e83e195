/**
 * The running handshake transcript hash (RFC 8446 §4.4.1): Hash over the
 * concatenated handshake messages, each with its 4-byte header, never the
 * record framing. Forks of the running hash answer "the hash so far" without
 * re-hashing the whole transcript.
 */
import type { Hash, HashState } from "../crypto/types.ts";
import { fatal } from "./alert.ts";

/** RFC 8446 §4: HandshakeType message_hash, the synthetic message that replaces ClientHello1. */
const MESSAGE_HASH_TYPE = 254;

export class Transcript {
  private readonly algorithm: Hash;
  private state: HashState;
  private count = 0;
  /** Fork taken right after the first message, kept for the HelloRetryRequest rewrite. */
  private afterFirst: HashState | undefined;
  /** The second message, kept while the rewrite is still possible (HRR added before the rewrite). */
  private second: Uint8Array | undefined;
  private rewritten = false;

  constructor(hash: Hash) {
    this.algorithm = hash;
    this.state = hash.create();
  }

  /** Adds one handshake message, including its 4-byte header. */
  add(handshakeMessage: Uint8Array): void {
    this.state.update(handshakeMessage);
    this.count++;
    if (!this.rewritten) {
      if (this.count === 1) this.afterFirst = this.state.clone();
      else if (this.count === 2) this.second = handshakeMessage.slice();
      else {
        // Past the point where a HelloRetryRequest can occur: drop what the rewrite needed.
        this.afterFirst = undefined;
        this.second = undefined;
      }
    }
  }

  /** Transcript-Hash of the messages so far; the transcript continues. */
  hash(): Uint8Array {
    return this.state.clone().digest();
  }

  /** The hash as if `partial` had been added (a ClientHello truncated before its binders, §4.2.11.2). */
  hashWith(partial: Uint8Array): Uint8Array {
    return this.state.clone().update(partial).digest();
  }

  /**
   * RFC 8446 §4.4.1: after a HelloRetryRequest, ClientHello1 is replaced by
   * message_hash = 0xFE ‖ 00 00 ‖ Hash.length ‖ Hash(ClientHello1).
   * Call it with ClientHello1 added, before or after the HelloRetryRequest itself
   * (a HRR already added is kept after the synthetic message).
   */
  replaceWithMessageHash(): void {
    if (this.rewritten || this.afterFirst === undefined || this.count > 2) {
      throw fatal(
        "internal_error",
        `transcript: the message_hash rewrite needs ClientHello1 (and at most the HelloRetryRequest); ${this.count} messages added${this.rewritten ? ", already rewritten" : ""}`,
      );
    }
    const clientHello1Hash = this.afterFirst.digest();
    const header = Uint8Array.of(MESSAGE_HASH_TYPE, 0, 0, clientHello1Hash.length);
    const state = this.algorithm.create().update(header).update(clientHello1Hash);
    if (this.second !== undefined) state.update(this.second);
    this.state = state;
    this.rewritten = true;
    this.afterFirst = undefined;
    this.second = undefined;
  }
}
