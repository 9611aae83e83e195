/**
 * One AbortSignal per call that fires on the first of: the deadline, an
 * explicit abort (cancel, peer reset), or any parent signal (the caller's
 * AbortSignal on the client; the stream's reset signal on the server). Its
 * reason is always an RpcError: DEADLINE_EXCEEDED or CANCELLED.
 */
import { Code } from "./code.ts";
import { RpcError } from "./rpc-error.ts";

/** setTimeout's largest delay (2^31 - 1 ms, about 24.8 days); longer deadlines arm no timer. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface CallSignal {
  readonly signal: AbortSignal;
  /** Absolute deadline in epoch milliseconds, if any. */
  readonly deadline: number | undefined;
  abort(reason: RpcError): void;
  /** Clears the timer and parent listeners; call once the call is over. */
  dispose(): void;
}

export function createCallSignal(options: {
  deadline?: number | undefined;
  parents?: readonly (AbortSignal | undefined)[];
  now?: () => number;
}): CallSignal {
  const controller = new AbortController();
  const now = options.now ?? Date.now;
  const cleanups: (() => void)[] = [];
  const abort = (reason: RpcError) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  for (const parent of options.parents ?? []) {
    if (parent === undefined) continue;
    const onAbort = () => abort(RpcError.from(parent.reason, Code.CANCELLED));
    if (parent.aborted) {
      onAbort();
      continue;
    }
    parent.addEventListener("abort", onAbort, { once: true });
    cleanups.push(() => parent.removeEventListener("abort", onAbort));
  }
  const deadline = options.deadline;
  if (deadline !== undefined && !controller.signal.aborted) {
    const remaining = deadline - now();
    const expire = () => abort(new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded"));
    if (remaining <= 0) expire();
    else if (remaining <= MAX_TIMER_DELAY_MS) {
      const timer = setTimeout(expire, remaining);
      cleanups.push(() => clearTimeout(timer));
    }
  }
  let disposed = false;
  return {
    signal: controller.signal,
    deadline,
    abort,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const c of cleanups) c();
    },
  };
}
