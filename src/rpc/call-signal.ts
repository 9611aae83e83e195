/**
 * One cancellation per call that fires on the first of: the deadline, an
 * explicit abort (cancel, peer reset), or any parent signal (the caller's
 * AbortSignal on the client; the stream's reset signal on the server). Its
 * reason is always an RpcError: DEADLINE_EXCEEDED or CANCELLED.
 *
 * The AbortSignal itself is made only when someone asks for `signal`: an
 * AbortController and its EventTarget listeners cost measurably per call, and
 * most handlers never look at their signal. The router races its own awaits
 * with `race()`, which needs no AbortSignal at all, and a parent can be an
 * AbortSource (a transport's cancellation without an AbortSignal of its own).
 */
import { Code } from "./code.ts";
import { RpcError } from "./rpc-error.ts";

/** setTimeout's largest delay (2^31 - 1 ms, about 24.8 days); longer deadlines arm no timer. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * A cancellation that is not (yet) an AbortSignal: a server transport's call
 * (ServerCallStream.onAbort) or another CallSignal. `onAbort`'s listener runs
 * once, with the reason, when it aborts; the returned function removes it.
 */
export interface AbortSource {
  /** The reason once aborted, else undefined. */
  readonly abortReason: RpcError | undefined;
  onAbort(listener: (reason: RpcError) => void): () => void;
}

export interface CallSignal {
  /** The call's AbortSignal (created on first access, already aborted if the call was). */
  readonly signal: AbortSignal;
  /** Absolute deadline in epoch milliseconds, if any. */
  readonly deadline: number | undefined;
  /** The reason once aborted, else undefined (reading it creates no AbortSignal). */
  readonly reason: RpcError | undefined;
  abort(reason: RpcError): void;
  /** Runs `listener` once on abort (not if already aborted: check `reason`); returns its remover. No AbortSignal is made. */
  onAbort(listener: (reason: RpcError) => void): () => void;
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
  /** onAbort() listeners (a call's client-side cancel), made only when someone subscribes. */
  private listeners: Set<(reason: RpcError) => void> | undefined;
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

  abort(reason: RpcError): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    for (const reject of this.racers) reject(reason);
    this.racers.clear();
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners !== undefined) notifyAbort(listeners, reason);
    this.controller?.abort(reason);
  }

  onAbort(listener: (reason: RpcError) => void): () => void {
    if (this.reason !== undefined) return noop;
    const listeners = (this.listeners ??= new Set());
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

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

function noop(): void {}

/**
 * Calls every abort listener even if one throws, as EventTarget does for an
 * AbortSignal's listeners: a throw is reported as uncaught on a microtask
 * instead of leaving the later listeners (and the signal itself) unaborted.
 */
export function notifyAbort(listeners: Iterable<(reason: RpcError) => void>, reason: RpcError): void {
  for (const listener of listeners) {
    try {
      listener(reason);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}

/**
 * An AbortSource by shape, not `!(x instanceof AbortSignal)`: a signal from
 * another realm (vm, jsdom) or a polyfill is not this realm's AbortSignal and
 * has no onAbort, and is subscribed to as a signal.
 */
function isAbortSource(parent: AbortSignal | AbortSource): parent is AbortSource {
  return typeof (parent as Partial<AbortSource>).onAbort === "function";
}

export function createCallSignal(options: {
  deadline?: number | undefined;
  parents?: readonly (AbortSignal | AbortSource | undefined)[];
  now?: () => number;
}): CallSignal {
  const deadline = options.deadline;
  const call = new LazyCallSignal(deadline);
  const now = options.now ?? Date.now;
  for (const parent of options.parents ?? []) {
    if (parent === undefined) continue;
    if (isAbortSource(parent)) {
      if (parent.abortReason !== undefined) call.abort(RpcError.from(parent.abortReason, Code.CANCELLED));
      else call.addCleanup(parent.onAbort((reason) => call.abort(RpcError.from(reason, Code.CANCELLED))));
      continue;
    }
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

const CALL_SIGNAL = Symbol("pqrpc.callSignal");

interface WithCallSignal {
  readonly [CALL_SIGNAL]: CallSignal;
}

/** The getter of `signal` on objects of withLazySignal (one function for all: no closure per call). */
function lazySignal(this: WithCallSignal): AbortSignal {
  return this[CALL_SIGNAL].signal;
}

const LAZY_SIGNAL_PROPERTY: PropertyDescriptor = Object.freeze({
  get: lazySignal,
  enumerable: true,
  configurable: true,
});

/**
 * Gives `target` an enumerable `signal` getter that reads `callSignal.signal`
 * only when someone asks (an interceptor, a handler): a call nobody cancels
 * through an AbortSignal never makes one. Spreading the object (`{...req}`)
 * reads the getter, so a copy's `signal` is a real AbortSignal (and
 * callSignalOf the copy is undefined).
 */
export function withLazySignal<T extends object>(
  target: T,
  callSignal: CallSignal,
): T & { readonly signal: AbortSignal } {
  // A plain (symbol) property and one shared descriptor: objects made alike keep one shape.
  (target as { [CALL_SIGNAL]?: CallSignal })[CALL_SIGNAL] = callSignal;
  Object.defineProperty(target, "signal", LAZY_SIGNAL_PROPERTY);
  return target as T & { readonly signal: AbortSignal };
}

/**
 * The CallSignal behind `target.signal` if it is still withLazySignal's getter
 * (not replaced by an interceptor's own signal), else undefined.
 */
export function callSignalOf(target: object): CallSignal | undefined {
  if (Object.getOwnPropertyDescriptor(target, "signal")?.get !== lazySignal) return undefined;
  return (target as WithCallSignal)[CALL_SIGNAL];
}
