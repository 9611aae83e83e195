/**
 * The code generator lives in its own package (@pqrpc/codegen: buf,
 * protoc-gen-es, TypeScript) so that an application running pqrpc does not
 * install them. `pqrpc generate` and `--proto` load it on demand, from the
 * user's project first (where `npm install -D @pqrpc/codegen` puts it), then
 * from beside pqrpc itself.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CliError } from "./cli-error.ts";

export const CODEGEN_PACKAGE = "@pqrpc/codegen";
export const CODEGEN_INSTALL_HINT = `npm install --save-dev ${CODEGEN_PACKAGE}`;

/**
 * What the CLI uses of @pqrpc/codegen (declared here so that pqrpc's own
 * types never require the package; load-codegen.test.ts checks the package
 * against it).
 */
export interface Codegen {
  generateCode(options: {
    readonly inputs: readonly string[];
    readonly out: string;
    readonly target?: "ts" | "js" | "dts" | "js+dts";
    readonly root?: string;
    readonly runtime?: string;
    readonly importExtension?: "ts" | "js";
  }): Promise<string>;
  compileDescriptorSet(protoFiles: readonly string[], importPath?: string): Promise<Uint8Array>;
  readonly GenerateError: abstract new (...args: never[]) => Error;
}

function resolveFrom(base: string): string | undefined {
  try {
    return createRequire(base).resolve(CODEGEN_PACKAGE);
  } catch {
    return undefined;
  }
}

/** Loads @pqrpc/codegen; a missing package is a one-line CliError saying how to install it. */
export async function loadCodegen(what: string, cwd = process.cwd()): Promise<Codegen> {
  const resolved = resolveFrom(join(cwd, "package.json")) ?? resolveFrom(import.meta.url);
  if (resolved === undefined) {
    throw new CliError(
      `${what} needs the code generator, which is a separate package: ${CODEGEN_INSTALL_HINT}`,
    );
  }
  return (await import(pathToFileURL(resolved).href)) as Codegen;
}
