/**
 * Polls files for replacement or rewrite (node:fs watchFile: works across
 * renames onto the path, which is how renewal tools and `pqrpc tickets
 * rotate` write). A change is a different mtime, size or inode; the poll does
 * not keep the process alive.
 */
import { type Stats, unwatchFile, watchFile } from "node:fs";

/** Calls `onChange(path)` whenever one of `paths` changes; the result stops watching. */
export function watchFileChanges(
  paths: readonly string[],
  intervalMs: number,
  onChange: (path: string) => void,
): () => void {
  const listeners = [...new Set(paths)].map((path) => {
    const listener = (now: Stats, before: Stats) => {
      if (now.mtimeMs !== before.mtimeMs || now.size !== before.size || now.ino !== before.ino) {
        onChange(path);
      }
    };
    watchFile(path, { interval: intervalMs, persistent: false }, listener);
    return { path, listener };
  });
  return () => {
    for (const { path, listener } of listeners) unwatchFile(path, listener);
  };
}
