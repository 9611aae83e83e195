/**
 * .proto files compiled at run time (for `pqrpc call --proto` and
 * `pqrpc serve --proto`): `buf build` writes a binary
 * google.protobuf.FileDescriptorSet, which @bufbuild/protobuf turns into a
 * registry.
 */
import { stat } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { toolPaths } from "./generate.ts";
import { GenerateError } from "./generate-error.ts";
import { runTool } from "./run-tool.ts";

/** buf compiles our fixtures in well under a second; a hung child must not hang the caller. */
export const BUILD_TIMEOUT_MS = 60_000;

/**
 * Compiles `protoFiles` into a serialized FileDescriptorSet (with imports).
 * `importPath` is the root their imports resolve from (default: the
 * directory of the first file).
 */
export async function compileDescriptorSet(
  protoFiles: readonly string[],
  importPath?: string,
): Promise<Uint8Array> {
  if (protoFiles.length === 0) throw new GenerateError("no .proto files given");
  const files = protoFiles.map((f) => resolve(f));
  for (const f of files) {
    const s = await stat(f).catch(() => undefined);
    if (!s?.isFile()) throw new GenerateError(`${f}: no such file`);
  }
  const root = resolve(importPath ?? dirname(files[0] as string));
  const args = [toolPaths().buf, "build", root, "--as-file-descriptor-set", "-o", "-#format=binpb"];
  for (const f of files) {
    const rel = relative(root, f);
    if (rel.startsWith("..") || isAbsolute(rel))
      throw new GenerateError(`${f} is outside the import path ${root}`);
    args.push("--path", rel.split(sep).join("/"));
  }
  const { stdout } = await runTool(args, {
    cwd: root,
    timeoutMs: BUILD_TIMEOUT_MS,
    what: `compiling ${protoFiles.join(", ")}`,
  });
  return new Uint8Array(stdout.buffer, stdout.byteOffset, stdout.byteLength);
}
