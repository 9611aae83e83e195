/**
 * File-reading wrappers (Node) around the pure parsers: the names of
 * DESIGN.md §7, `loadIdentity("server.pem", "server.key")` and
 * `loadTrust("ca.pem")`.
 */
import { readFile } from "node:fs/promises";
import type { Crypto } from "../crypto/types.ts";
import { parseIdentity } from "./identity.ts";
import { MAX_PEM_BYTES } from "./limits.ts";
import { TrustStore, type TrustStoreOptions } from "./trust-store.ts";
import { type CertifiedKey, PkiError } from "./types.ts";

async function readPem(path: string): Promise<string> {
  const bytes = await readFile(path);
  if (bytes.length > MAX_PEM_BYTES)
    throw new PkiError("bad-encoding", `${path}: larger than ${MAX_PEM_BYTES} bytes`);
  return bytes.toString("utf8");
}

export async function loadIdentity(
  certificatePath: string,
  privateKeyPath: string,
  crypto?: Crypto,
): Promise<CertifiedKey> {
  const [certificatePem, keyPem] = await Promise.all([readPem(certificatePath), readPem(privateKeyPath)]);
  return parseIdentity(certificatePem, keyPem, crypto);
}

/** A TrustStore (PeerVerifier) whose anchors are every certificate in the PEM file(s). */
export async function loadTrust(
  rootPaths: string | readonly string[],
  options: Omit<TrustStoreOptions, "roots"> = {},
): Promise<TrustStore> {
  const paths = typeof rootPaths === "string" ? [rootPaths] : rootPaths;
  const roots = await Promise.all(paths.map(readPem));
  return new TrustStore({ ...options, roots });
}
