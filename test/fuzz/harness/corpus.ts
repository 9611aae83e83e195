/** Corpus files: one input per file, named by the SHA-256 of its bytes (libFuzzer uses SHA-1; any content name will do). */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function inputName(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex").slice(0, 40);
}

export function readCorpus(dir: string): Uint8Array[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => !f.startsWith("."))
    .sort()
    .map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

/** Writes `data` into `dir` under its content name; returns the path. */
export function writeInput(dir: string, data: Uint8Array, prefix = ""): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, prefix + inputName(data));
  writeFileSync(path, data);
  return path;
}
