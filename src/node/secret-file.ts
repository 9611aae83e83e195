/**
 * Files that hold secrets (ticket keys, enrollment tokens): read only when
 * no other user may read them, bounded in size, and written by renaming a
 * complete new file (mode 600) over the old one, so that a process reading
 * it mid-write sees the old contents or the new, never half.
 */
import type { Stats } from "node:fs";
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { CodedError } from "../errors/coded-error.ts";

/** Permission bits that must be clear: a secret file is for its owner only. */
const GROUP_OR_OTHER_BITS = 0o077;

export type SecretFileProblem = "io" | "insecure-permissions" | "too-large";

/** Why a secret file could not be read or written; `code` says which kind. */
export class SecretFileError extends CodedError<SecretFileProblem> {
  override readonly name = "SecretFileError";
}

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The text of `path`, refused when others may read it or when it is over `maxBytes`. */
export async function readSecretFile(path: string, maxBytes: number): Promise<string> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (e) {
    throw new SecretFileError("io", `${path}: cannot read it: ${why(e)}`, { cause: e });
  }
  if (process.platform !== "win32" && (info.mode & GROUP_OR_OTHER_BITS) !== 0) {
    throw new SecretFileError(
      "insecure-permissions",
      `${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`,
    );
  }
  if (info.size > maxBytes) {
    throw new SecretFileError("too-large", `${path}: ${info.size} bytes, more than ${maxBytes}`);
  }
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new SecretFileError("io", `${path}: cannot read it: ${why(e)}`, { cause: e });
  }
}

/** Replaces `path` with `text` (mode 600) through a temporary file in the same folder. */
export async function writeSecretFile(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const file = await open(temporary, "wx", 0o600);
    try {
      await file.writeFile(text, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (e) {
    await unlink(temporary).catch(() => {});
    throw new SecretFileError("io", `${path}: cannot write it: ${why(e)}`, { cause: e });
  }
}
