/** node:util's promisify, the one function the shared code imports from it, for the browser bundle. */
export function promisify<T>(fn: (...args: never[]) => void): (...args: unknown[]) => Promise<T> {
  return (...args: unknown[]) =>
    new Promise<T>((resolve, reject) => {
      (fn as (...a: unknown[]) => void)(...args, (error: Error | null, value: T) =>
        error ? reject(error) : resolve(value),
      );
    });
}
