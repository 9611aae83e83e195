/**
 * SSLKEYLOGFILE: the NSS key log (draft-ietf-tls-keylogfile) that Wireshark
 * and tshark read to decrypt a capture. Opt-in and for debugging only: anyone
 * holding the file can decrypt every logged session, so it is written only
 * when the variable is set, created owner-only (0600), and the server warns
 * at start. Lines are appended synchronously: a line must be on disk before
 * the records it decrypts are.
 *
 * The lines come from the TLS engine's `keyLog` config callback (one line
 * per secret, no newline).
 */
import { closeSync, openSync, writeSync } from "node:fs";

/** The environment variable OpenSSL, NSS, curl and browsers read. */
export const KEY_LOG_ENV = "SSLKEYLOGFILE";
/** Owner read/write only. */
const KEY_LOG_FILE_MODE = 0o600;

export interface KeyLogFile {
  readonly path: string;
  /** The engine's keyLog callback. */
  readonly sink: (line: string) => void;
  close(): void;
}

export function openKeyLogFile(path: string): KeyLogFile {
  const fd = openSync(path, "a", KEY_LOG_FILE_MODE);
  let open = true;
  return {
    path,
    sink(line) {
      if (open) writeSync(fd, `${line}\n`);
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

/** The key log file named by SSLKEYLOGFILE, or undefined when it is unset or empty. */
export function keyLogFromEnv(env: NodeJS.ProcessEnv = process.env): KeyLogFile | undefined {
  const path = env[KEY_LOG_ENV];
  return path === undefined || path === "" ? undefined : openKeyLogFile(path);
}

export const KEY_LOG_WARNING =
  "SSLKEYLOGFILE is set: TLS secrets of every connection are written to it; anyone with the file can decrypt the traffic (debugging only)";
