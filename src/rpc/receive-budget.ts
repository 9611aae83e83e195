/**
 * The server's budget for received request messages: bytes a connection's
 * calls hold, from the moment a message prefix declares its length until the
 * handler takes the message (or the call ends). Flow-control windows
 * (RFC 9113 §5.2) bound what a peer may send before we read it, but not what
 * we keep once read: a message is assembled in memory, so 100 streams each
 * declaring 4 MiB and sending all but the last byte hold 400 MiB while every
 * window is returned. This budget bounds that, per connection and for the
 * whole server (issue 9, item 1).
 *
 * Sans-IO: reservations in, refusals out. A refusal for the connection's own
 * share fails the call that asked (RESOURCE_EXHAUSTED); a refusal for the
 * server's share also names the connection holding the most, which the
 * transport closes (GOAWAY ENHANCE_YOUR_CALM) so one greedy peer cannot keep
 * every other connection's messages out.
 */

/** Request message bytes one connection may hold (assembled or queued for its handlers). */
export const DEFAULT_MAX_CONNECTION_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Request message bytes all connections together may hold. */
export const DEFAULT_MAX_SERVER_BUFFERED_BYTES = 128 * 1024 * 1024;

export interface ReceiveBudgetOptions {
  /** Bytes one connection may hold (default DEFAULT_MAX_CONNECTION_BUFFERED_BYTES). */
  readonly maxConnectionBytes?: number;
  /** Bytes the whole server may hold (default DEFAULT_MAX_SERVER_BUFFERED_BYTES). */
  readonly maxServerBytes?: number;
}

/** Why a reservation was refused: the connection's share or the server's is used up. */
export type BudgetRefusal =
  | { readonly scope: "connection"; readonly heldBytes: number; readonly limitBytes: number }
  | {
      readonly scope: "server";
      readonly heldBytes: number;
      readonly limitBytes: number;
      /** The connection holding the most: the one to close. */
      readonly worst: ConnectionBudget;
    };

export class ReceiveBudget {
  readonly maxConnectionBytes: number;
  readonly maxServerBytes: number;
  #held = 0;
  readonly #connections = new Set<ConnectionBudget>();

  constructor(options: ReceiveBudgetOptions = {}) {
    this.maxConnectionBytes = options.maxConnectionBytes ?? DEFAULT_MAX_CONNECTION_BUFFERED_BYTES;
    this.maxServerBytes = options.maxServerBytes ?? DEFAULT_MAX_SERVER_BUFFERED_BYTES;
    for (const [name, v] of [
      ["maxConnectionBytes", this.maxConnectionBytes],
      ["maxServerBytes", this.maxServerBytes],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a byte count, got ${v}`);
    }
  }

  /** Bytes held by every connection. */
  get heldBytes(): number {
    return this.#held;
  }

  /** Connections with an open account. */
  get connections(): number {
    return this.#connections.size;
  }

  /**
   * An account for a new connection; close() it when the connection ends.
   * `onEvict` closes that connection when the server's share is used up and
   * it holds the most (whichever protocol it speaks).
   */
  open(onEvict?: (detail: string) => void): ConnectionBudget {
    const account = new ConnectionBudget(this, onEvict);
    this.#connections.add(account);
    return account;
  }

  /** @internal */
  _reserve(account: ConnectionBudget, bytes: number): BudgetRefusal | undefined {
    if (account.heldBytes + bytes > this.maxConnectionBytes) {
      return { scope: "connection", heldBytes: account.heldBytes, limitBytes: this.maxConnectionBytes };
    }
    if (this.#held + bytes > this.maxServerBytes) {
      let worst = account;
      for (const c of this.#connections) if (c.heldBytes > worst.heldBytes) worst = c;
      return { scope: "server", heldBytes: this.#held, limitBytes: this.maxServerBytes, worst };
    }
    this.#held += bytes;
    return undefined;
  }

  /** @internal */
  _release(bytes: number): void {
    this.#held -= bytes;
  }

  /** @internal */
  _forget(account: ConnectionBudget): void {
    this.#connections.delete(account);
  }
}

/** One connection's share of a ReceiveBudget. */
export class ConnectionBudget {
  readonly #budget: ReceiveBudget;
  readonly #onEvict: ((detail: string) => void) | undefined;
  #held = 0;
  #closed = false;

  constructor(budget: ReceiveBudget, onEvict?: (detail: string) => void) {
    this.#budget = budget;
    this.#onEvict = onEvict;
  }

  /** The server's share is used up and this connection holds the most: its connection is closed (GOAWAY ENHANCE_YOUR_CALM). */
  evict(serverHeldBytes: number, limitBytes: number): void {
    this.#onEvict?.(
      `the server holds ${serverHeldBytes} request bytes (limit ${limitBytes}); this connection ${this.#held}`,
    );
  }

  get heldBytes(): number {
    return this.#held;
  }

  /** Takes `bytes` from both shares, or returns why not (nothing is taken then). */
  reserve(bytes: number): BudgetRefusal | undefined {
    if (this.#closed) return { scope: "connection", heldBytes: this.#held, limitBytes: 0 };
    const refusal = this.#budget._reserve(this, bytes);
    if (refusal === undefined) this.#held += bytes;
    return refusal;
  }

  /** Gives back `bytes` reserved earlier (a message the handler took, a call that ended). */
  release(bytes: number): void {
    // After close() everything was returned at once; the calls' own releases that follow are no-ops.
    if (this.#closed && this.#held === 0) return;
    if (bytes > this.#held) throw new RangeError(`release of ${bytes} bytes, only ${this.#held} held`);
    this.#held -= bytes;
    this.#budget._release(bytes);
  }

  /** The connection ended: whatever it still holds goes back; later reservations are refused. */
  close(): void {
    if (this.#closed) return;
    const held = this.#held;
    this.#held = 0;
    this.#budget._release(held);
    this.#closed = true;
    this.#budget._forget(this);
  }
}
