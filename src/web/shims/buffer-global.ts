/**
 * Node globals the shared code relies on, for the browser bundle (injected
 * by scripts/build-web.mjs): `Buffer` (the `buffer` package, also what
 * `readable-stream` uses) and `process` (only `nextTick`, `env` and
 * `versions` are read: by readable-stream and by feature checks).
 */
import { Buffer } from "buffer";

const processShim = {
  env: {} as Record<string, string | undefined>,
  versions: {} as Record<string, string>,
  nextTick(fn: (...args: unknown[]) => void, ...args: unknown[]): void {
    queueMicrotask(() => fn(...args));
  },
};

export { Buffer, processShim as process };
