/**
 * Racing work against a call signal: a handler or iterator that ignores its
 * signal must not keep a call open past its deadline or cancellation.
 */
import { Code } from "./code.ts";
import { RpcError } from "./rpc-error.ts";

/** The signal's reason as an RpcError (CANCELLED unless it already is one). */
export function abortReason(signal: AbortSignal): RpcError {
  return RpcError.from(signal.reason, Code.CANCELLED);
}

/** Resolves like `promise`, or rejects with the signal's reason as soon as it aborts. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(abortReason(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** Iterates `source`, stopping with the signal's reason when it aborts (and closing the source). */
export function abortableIterable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  return racedIterable(source, (p) => raceSignal(p, signal));
}

/**
 * Iterates `source`, each step raced by `race` (e.g. CallSignal.race); closes
 * the source when stopped early. `onClose` gets the promise of that close,
 * which settles when the source has really finished (a generator runs its
 * pending step and its finally blocks first).
 */
export async function* racedIterable<T>(
  source: AsyncIterable<T>,
  race: (step: Promise<IteratorResult<T>>) => Promise<IteratorResult<T>>,
  onClose?: (closed: Promise<unknown>) => void,
): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      const r = await race(it.next());
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!done) {
      // Do not await: a generator stuck in an await would hold us here.
      const closed = Promise.resolve(it.return?.()).catch(() => {});
      onClose?.(closed);
    }
  }
}
