/** Every fuzz target, by name; each module lives in ./targets/<name>.ts with its corpus in ./corpus/<name>/. */
import { fileURLToPath } from "node:url";
import type { FuzzTarget } from "./target.ts";

export const TARGET_NAMES = [
  "tls-record-deframer",
  "tls-handshake-messages",
  "tls-extensions",
  "tls-client-engine",
  "tls-server-engine",
  "x509-certificate",
  "pkcs8-private-key",
  "pem",
  "csr",
  "path-validation",
  "frame-decoder",
  "header-decoder",
  "frame-session",
  "grpc-envelope",
  "cli-json-input",
] as const;

export type TargetName = (typeof TARGET_NAMES)[number];

export function targetFile(name: string): string {
  return fileURLToPath(new URL(`../targets/${name}.ts`, import.meta.url));
}

export function corpusDir(name: string): string {
  return fileURLToPath(new URL(`../corpus/${name}/`, import.meta.url));
}

export async function loadTarget(name: string): Promise<FuzzTarget> {
  if (!(TARGET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown fuzz target ${name}; targets: ${TARGET_NAMES.join(", ")}`);
  }
  const module = (await import(targetFile(name))) as { target: FuzzTarget };
  return module.target;
}
