/**
 * One cancellation per call that fires on the first of: the deadline, an
 * explicit abort (cancel, peer reset), or any parent signal (the caller's
 * AbortSignal on the client; the stream's reset signal on the server). Its
 * reason is always an RpcError: DEADLINE_EXCEEDED or CANCELLED.
 *
 * The AbortSignal itself is made only when someone asks for `signal`: an
 * AbortController and its EventTarget listeners cost measurably per call, and
 * most handlers never look at their signal. The router races its own awaits
 * with `race()`, which needs no AbortSignal at all.
 */
import { Code } from "./code.ts";
import { RpcError } from "./rpc-error.ts";

/** setTimeout's largest delay (2^31 - 1 ms, about 24.8 days); longer deadlines arm no timer. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface CallSignal {
  /** The call's AbortSignal (created on first access, already aborted if the call was). */
  readonly signal: AbortSignal;
  /** Absolute deadline in epoch milliseconds, if any. */
  readonly deadline: number | undefined;
  /** The reason once aborted, else undefined (reading it creates no AbortSignal). */
  readonly reason: RpcError | undefined;
  abort(reason: RpcError): void;
  /** Resolves like `promise`, or rejects with the reason as soon as the call aborts. */
  race<T>(promise: Promise<T>): Promise<T>;
  /** Clears the timer and parent listeners; call once the call is over. */
  dispose(): void;
}

class LazyCallSignal implements CallSignal {
  reason: RpcError | undefined;
  private controller: AbortController | undefined;
  /** Pending race() rejections, called on abort. */
  private readonly racers = new Set<(reason: RpcError) => void>();
  private readonly cleanups: (() => void)[] = [];
  private disposed = false;

  constructor(readonly deadline: number | undefined) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.reason !== undefined) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort = (reason: RpcError): void => {
    if (this.reason !== undefined) return;
    this.reason = reason;
    for (const reject of this.racers) reject(reason);
    this.racers.clear();
    this.controller?.abort(reason);
  };

  race<T>(promise: Promise<T>): Promise<T> {
    const aborted = this.reason;
    if (aborted !== undefined) {
      promise.catch(() => {});
      return Promise.reject(aborted);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (reason: RpcError) => {
        promise.catch(() => {});
        reject(reason);
      };
      this.racers.add(onAbort);
      promise.then(
        (v) => {
          this.racers.delete(onAbort);
          resolve(v);
        },
        (e: unknown) => {
          this.racers.delete(onAbort);
          reject(e);
        },
      );
    });
  }

  addCleanup(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.cleanups) c();
  }
}

export function createCallSignal(options: {
  deadline?: number | undefined;
  parents?: readonly (AbortSignal | undefined)[];
  now?: () => number;
}): CallSignal {
  const deadline = options.deadline;
  const call = new LazyCallSignal(deadline);
  const now = options.now ?? Date.now;
  for (const parent of options.parents ?? []) {
    if (parent === undefined) continue;
    const onAbort = () => call.abort(RpcError.from(parent.reason, Code.CANCELLED));
    if (parent.aborted) {
      onAbort();
      continue;
    }
    parent.addEventListener("abort", onAbort, { once: true });
    call.addCleanup(() => parent.removeEventListener("abort", onAbort));
  }
  if (deadline !== undefined && call.reason === undefined) {
    const remaining = deadline - now();
    const expire = () => call.abort(new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded"));
    if (remaining <= 0) expire();
    else if (remaining <= MAX_TIMER_DELAY_MS) {
      const timer = setTimeout(expire, remaining);
      call.addCleanup(() => clearTimeout(timer));
    }
  }
  return call;
}
