/**
 * The ticket key file on disk (format and rotation rule: ticket-key-set.ts):
 * read with its permissions checked, written atomically (a new file renamed
 * over the old, so a process that reloads mid-write sees the old keys or the
 * new ones, never half), and watched, so every process picks up a rotation
 * without a restart.
 */
import { type Stats, unwatchFile, watchFile } from "node:fs";
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { wipe } from "../bytes/bytes.ts";
import type { TicketKeyMaterial, TicketSealer } from "../tls/ticket-sealer.ts";
import {
  formatTicketKeys,
  MAX_TICKET_KEY_FILE_BYTES,
  parseTicketKeys,
  TicketKeyFileError,
} from "./ticket-key-set.ts";

/** How often a watching process looks at the file (its mtime and size), ms. */
export const TICKET_KEY_FILE_POLL_MS = 1000;
/** Permission bits that must be clear: the file holds secrets, for its owner only. */
const GROUP_OR_OTHER_BITS = 0o077;

function ioError(path: string, what: string, e: unknown): TicketKeyFileError {
  const why = e instanceof Error ? e.message : String(e);
  return new TicketKeyFileError("io", `ticket key file ${path}: cannot ${what}: ${why}`, { cause: e });
}

/** The keys in `path`; a TicketKeyFileError says what is wrong (never with a secret in it). */
export async function readTicketKeyFile(path: string): Promise<TicketKeyMaterial[]> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (e) {
    throw ioError(path, "read it", e);
  }
  if (process.platform !== "win32" && (info.mode & GROUP_OR_OTHER_BITS) !== 0) {
    throw new TicketKeyFileError(
      "insecure-permissions",
      `ticket key file ${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`,
    );
  }
  if (info.size > MAX_TICKET_KEY_FILE_BYTES) {
    throw new TicketKeyFileError(
      "malformed",
      `ticket key file ${path}: ${info.size} bytes, more than ${MAX_TICKET_KEY_FILE_BYTES}`,
    );
  }
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw ioError(path, "read it", e);
  }
  try {
    return parseTicketKeys(text);
  } catch (e) {
    if (e instanceof TicketKeyFileError) throw new TicketKeyFileError(e.code, `${path}: ${e.message}`);
    throw e;
  }
}

/** Writes `keys` to `path` (mode 600) by renaming a complete new file over it. */
export async function writeTicketKeyFile(path: string, keys: readonly TicketKeyMaterial[]): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const file = await open(temporary, "wx", 0o600);
    try {
      await file.writeFile(formatTicketKeys(keys), "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (e) {
    await unlink(temporary).catch(() => {});
    throw ioError(path, "write it", e);
  }
}

export interface TicketKeyFileWatch {
  /** Reads the file again now (on SIGHUP, say); resolves once loaded, rejects with why not. */
  reload(): Promise<void>;
  /** Stops watching. */
  close(): void;
}

export interface WatchOptions {
  /** After each successful load, with the number of keys. */
  readonly onLoad?: (keys: number) => void;
  /** A reload that failed: the sealer keeps the keys it had. */
  readonly onError?: (error: TicketKeyFileError) => void;
  readonly pollMs?: number;
}

/**
 * Loads `path` into `sealer` (its first load must succeed: a server does not start without its
 * keys), then reloads it whenever the file changes. A bad file later leaves the old keys in place.
 */
export async function watchTicketKeyFile(
  path: string,
  sealer: TicketSealer,
  options: WatchOptions = {},
): Promise<TicketKeyFileWatch> {
  const load = async () => {
    const keys = await readTicketKeyFile(path);
    try {
      sealer.setKeys(keys);
    } finally {
      for (const k of keys) wipe(k.secret as Uint8Array);
    }
    options.onLoad?.(keys.length);
  };
  await load();
  let loading: Promise<void> = Promise.resolve();
  const reload = () => {
    loading = loading.then(load, load);
    return loading;
  };
  const onChange = (now: Stats, before: Stats) => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
    reload().catch((e: unknown) => {
      options.onError?.(e instanceof TicketKeyFileError ? e : ioError(path, "reload it", e));
    });
  };
  watchFile(path, { interval: options.pollMs ?? TICKET_KEY_FILE_POLL_MS, persistent: false }, onChange);
  return {
    reload,
    close: () => unwatchFile(path, onChange),
  };
}
