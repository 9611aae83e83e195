/**
 * The ticket key file on disk (format and rotation rule: ticket-key-set.ts):
 * read with its permissions checked, written atomically (a new file renamed
 * over the old, so a process that reloads mid-write sees the old keys or the
 * new ones, never half), and watched, so every process picks up a rotation
 * without a restart.
 */

import { wipe } from "../bytes/bytes.ts";
import { readSecretFile, SecretFileError, writeSecretFile } from "../node/secret-file.ts";
import { watchFileChanges } from "../node/watch-files.ts";
import type { TicketKeyMaterial, TicketSealer } from "../tls/ticket-sealer.ts";
import {
  formatTicketKeys,
  MAX_TICKET_KEY_FILE_BYTES,
  parseTicketKeys,
  TicketKeyFileError,
} from "./ticket-key-set.ts";

/** How often a watching process looks at the file (its mtime and size), ms. */
export const TICKET_KEY_FILE_POLL_MS = 1000;

function fileError(e: unknown): unknown {
  if (!(e instanceof SecretFileError)) return e;
  const code = e.code === "too-large" ? "malformed" : e.code;
  return new TicketKeyFileError(code, `ticket key file ${e.message}`, { cause: e });
}

/** The keys in `path`; a TicketKeyFileError says what is wrong (never with a secret in it). */
export async function readTicketKeyFile(path: string): Promise<TicketKeyMaterial[]> {
  let text: string;
  try {
    text = await readSecretFile(path, MAX_TICKET_KEY_FILE_BYTES);
  } catch (e) {
    throw fileError(e);
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
  try {
    await writeSecretFile(path, formatTicketKeys(keys));
  } catch (e) {
    throw fileError(e);
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
  const onChange = () => {
    reload().catch((e: unknown) => {
      options.onError?.(
        e instanceof TicketKeyFileError
          ? e
          : new TicketKeyFileError("io", `${path}: ${String(e)}`, { cause: e }),
      );
    });
  };
  const close = watchFileChanges([path], options.pollMs ?? TICKET_KEY_FILE_POLL_MS, onChange);
  return { reload, close };
}
