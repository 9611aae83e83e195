/**
 * Runs buf with protoc-gen-es (messages) and protoc-gen-pqrpc (service
 * client and handler types), all from this package's node_modules, so users
 * need no other tool: `pqrpc generate` is a thin CLI over `generateCode`.
 *
 * buf is given a generated template (buf.gen.yaml v2 as JSON) and the proto
 * root directory as its input; single files become `--path` filters.
 */
import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_RUNTIME_MODULE } from "./protoc-gen-pqrpc.ts";

const require = createRequire(import.meta.url);

/** buf compiles and generates well within this on our fixtures; a hung child must not hang the CLI. */
export const GENERATE_TIMEOUT_MS = 120_000;
/** Largest buf output (its diagnostics) we keep. */
const MAX_TOOL_OUTPUT_BYTES = 4 * 1024 * 1024;

export interface GenerateOptions {
  /** .proto files or directories holding them. */
  readonly inputs: readonly string[];
  /** Output directory (created by buf). */
  readonly out: string;
  /**
   * Import root of the protos (where "grpc/testing/empty.proto" resolves).
   * Default: the one directory given, or the current directory for files.
   */
  readonly root?: string;
  /** Module specifier the generated code imports the pqrpc rpc API from. */
  readonly runtime?: string;
  /** Import extension of generated relative imports: "ts" (default; NodeNext with allowImportingTsExtensions) or "js". */
  readonly importExtension?: "ts" | "js";
  readonly cwd?: string;
}

/** A failure of the code generator (bad input, buf error), with buf's diagnostics. */
export class GenerateError extends Error {
  readonly code = "ERR_GENERATE";
  constructor(message: string) {
    super(message);
    this.name = "GenerateError";
  }
}

function packageFile(pkg: string, path: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), path);
}

export function toolPaths(): { buf: string; protocGenEs: string; protocGenPqrpc: string } {
  return {
    buf: packageFile("@bufbuild/buf", "bin/buf"),
    protocGenEs: packageFile("@bufbuild/protoc-gen-es", "bin/protoc-gen-es"),
    protocGenPqrpc: join(dirname(fileURLToPath(import.meta.url)), "protoc-gen-pqrpc.mjs"),
  };
}

/** Builds the buf.gen.yaml (v2) template. Plugins run under this Node, so no PATH lookup is involved. */
export function bufTemplate(out: string, runtime: string, importExtension: "ts" | "js"): object {
  const tools = toolPaths();
  const opt = ["target=ts", `import_extension=${importExtension}`];
  return {
    version: "v2",
    plugins: [
      { local: [process.execPath, tools.protocGenEs], out, opt },
      { local: [process.execPath, tools.protocGenPqrpc], out, opt: [...opt, `runtime=${runtime}`] },
    ],
  };
}

async function resolveInputs(options: GenerateOptions): Promise<{ root: string; paths: string[] }> {
  const cwd = options.cwd ?? process.cwd();
  if (options.inputs.length === 0) throw new GenerateError("no .proto files or directories given");
  const kinds = await Promise.all(
    options.inputs.map(async (p) => {
      const abs = resolve(cwd, p);
      try {
        return { abs, dir: (await stat(abs)).isDirectory() };
      } catch {
        throw new GenerateError(`no such file or directory: ${p}`);
      }
    }),
  );
  const onlyDir = kinds.length === 1 && kinds[0]!.dir ? kinds[0]!.abs : undefined;
  const root = options.root !== undefined ? resolve(cwd, options.root) : (onlyDir ?? cwd);
  const paths: string[] = [];
  for (const k of kinds) {
    if (k.abs === root) continue;
    const rel = relative(root, k.abs);
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new GenerateError(`${k.abs} is outside the proto root ${root} (set --root)`);
    }
    if (!k.dir && !k.abs.endsWith(".proto")) throw new GenerateError(`not a .proto file: ${k.abs}`);
    paths.push(rel.split(sep).join("/"));
  }
  return { root, paths };
}

/** Generates TypeScript for the inputs; resolves with buf's stderr (warnings). */
export async function generateCode(options: GenerateOptions): Promise<string> {
  const { root, paths } = await resolveInputs(options);
  const out = resolve(options.cwd ?? process.cwd(), options.out);
  const template = bufTemplate(
    out,
    options.runtime ?? DEFAULT_RUNTIME_MODULE,
    options.importExtension ?? "ts",
  );
  const args = [toolPaths().buf, "generate", root, "--template", JSON.stringify(template)];
  for (const p of paths) args.push("--path", p);
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: root, timeout: GENERATE_TIMEOUT_MS, maxBuffer: MAX_TOOL_OUTPUT_BYTES },
      (error, _stdout, stderr) => {
        if (error) reject(new GenerateError(`buf generate failed: ${(stderr || error.message).trim()}`));
        else resolvePromise(stderr);
      },
    );
  });
}
