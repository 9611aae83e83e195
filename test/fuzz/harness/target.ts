/**
 * The contract of a fuzz target: one execution takes the fuzzer's bytes and
 * either returns, or throws one of the module's typed errors (the error a
 * hostile peer is meant to get), or finds a bug. A bug is any other throw
 * (TypeError, RangeError, an assertion of ours), and a buffer that outgrew
 * its named limit (checked by the target, thrown as FuzzFinding). A hang is
 * caught by the driver's watchdog (run.ts) or by jazzer's -timeout.
 *
 * Each target module exports `target` (for our driver and the bounded test)
 * and `fuzz` (the function jazzer.js calls).
 */

// biome-ignore lint/suspicious/noExplicitAny: an error class of any constructor shape
export type ErrorClass = abstract new (...args: any[]) => Error;

export interface FuzzTarget {
  readonly name: string;
  /** What the bytes are, for `npm run fuzz -- --list`. */
  readonly description: string;
  /** Errors that are the module's answer to bad input; anything else is a finding. */
  readonly typed: readonly ErrorClass[];
  /**
   * True when one execution does public-key crypto (a handshake, a signature
   * check): the bounded test then runs fewer mutants of it.
   */
  readonly costly?: boolean;
  /** True when run() returns a promise (jazzer.js then runs the target in its async mode). */
  readonly asynchronous?: boolean;
  /** One execution. */
  run(data: Uint8Array): void | Promise<void>;
}

/** A bug found by a target's own check (a bound exceeded, an invariant broken). */
export class FuzzFinding extends Error {
  override readonly name = "FuzzFinding";
}

/** Throws FuzzFinding when `held` exceeds `limit` bytes: unbounded growth is a finding. */
export function assertBounded(what: string, held: number, limit: number): void {
  if (held > limit) throw new FuzzFinding(`${what} holds ${held} bytes, more than its limit of ${limit}`);
}

/** Throws FuzzFinding when an invariant does not hold. */
export function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new FuzzFinding(what);
}

function isTyped(target: FuzzTarget, e: unknown): boolean {
  return !(e instanceof FuzzFinding) && target.typed.some((c) => e instanceof c);
}

/** Runs one execution; typed errors are swallowed, every other throw propagates (a finding). */
export function execute(target: FuzzTarget, data: Uint8Array): void | Promise<void> {
  const rethrowUntyped = (e: unknown): void => {
    if (!isTyped(target, e)) throw e;
  };
  let result: void | Promise<void>;
  try {
    result = target.run(data);
  } catch (e) {
    rethrowUntyped(e);
    return;
  }
  if (result instanceof Promise) return result.catch(rethrowUntyped);
}

/** The `fuzz` export jazzer.js calls for a target. */
export function jazzerEntry(target: FuzzTarget): (data: Uint8Array) => void | Promise<void> {
  return (data) => execute(target, new Uint8Array(data.buffer, data.byteOffset, data.length));
}
