/**
 * The files and settings a command reads before it does anything, each
 * failure reported against the flag or variable that named it: a missing
 * `--cert` file says `--cert`, a bad PQRPC_CRYPTO_PROVIDERS is not blamed on
 * the first file that happened to need crypto. A file that cannot be used
 * fails the command (exit 1); a bad setting is a usage error (exit 2).
 */
import { stat } from "node:fs/promises";
import { defaultCrypto, PROVIDERS_ENV_VAR } from "../crypto/select.ts";
import { loadIdentity, loadTrust } from "../pki/load.ts";
import type { TrustStore } from "../pki/trust-store.ts";
import type { CertifiedKey } from "../pki/types.ts";
import { CliError } from "./cli-error.ts";
import { CommandFailure } from "./describe-error.ts";

const KNOWN_PROVIDERS = "node, wasm, noble";

/** Selects the crypto providers now, so that a bad PQRPC_CRYPTO_PROVIDERS is reported as itself. */
export function checkCryptoEnvironment(): void {
  try {
    defaultCrypto();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (message.includes(PROVIDERS_ENV_VAR)) {
      throw new CliError(
        `${message} (known providers: ${KNOWN_PROVIDERS}; unset it for automatic selection)`,
      );
    }
    throw e;
  }
}

async function mustExist(flag: string, path: string): Promise<void> {
  const s = await stat(path).catch(() => undefined);
  if (s === undefined) throw new CommandFailure(`${flag} ${path}: no such file`);
  if (!s.isFile()) throw new CommandFailure(`${flag} ${path}: not a file`);
}

function why(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A certificate chain and its private key, named by two flags (`--cert`, `--key`). */
export async function loadIdentityFiles(
  cert: { flag: string; path: string },
  key: { flag: string; path: string },
): Promise<CertifiedKey> {
  checkCryptoEnvironment();
  await mustExist(cert.flag, cert.path);
  await mustExist(key.flag, key.path);
  try {
    return await loadIdentity(cert.path, key.path);
  } catch (e) {
    throw new CommandFailure(`${cert.flag} ${cert.path} / ${key.flag} ${key.path}: ${why(e)}`);
  }
}

/** Trust anchors (PEM) named by a flag (`--ca`). */
export async function loadTrustFile(flag: string, path: string): Promise<TrustStore> {
  checkCryptoEnvironment();
  await mustExist(flag, path);
  try {
    return await loadTrust(path);
  } catch (e) {
    throw new CommandFailure(`cannot load ${flag} ${path}: ${why(e)}`);
  }
}
