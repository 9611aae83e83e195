/**
 * Runs buf with protoc-gen-es (messages) and protoc-gen-pqrpc (service
 * client and handler types), all from this package's dependencies, so users
 * need no other tool: `pqrpc generate` is a thin CLI over `generateCode`.
 *
 * buf is given a generated template (buf.gen.yaml v2 as JSON) and the proto
 * root directory as its input; single files become `--path` filters.
 */
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { GenerateError } from "./generate-error.ts";
import { DEFAULT_RUNTIME_MODULE } from "./plugin-options.ts";
import { runTool } from "./run-tool.ts";

const require = createRequire(import.meta.url);

/** buf compiles and generates well within this on our fixtures; a hung child must not hang the CLI. */
export const GENERATE_TIMEOUT_MS = 120_000;

/**
 * What to emit, in protobuf-es's own target names: TypeScript, or JavaScript
 * (ESM) with or without declaration files.
 */
export const TARGETS = ["ts", "js", "dts", "js+dts"] as const;
export type Target = (typeof TARGETS)[number];
export const DEFAULT_TARGET: Target = "ts";

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
  /** Module specifier the generated code imports the pqrpc rpc API from (default "pqrpc"). */
  readonly runtime?: string;
  /** What to emit (default "ts"). */
  readonly target?: Target;
  /**
   * Extension of generated relative imports. Default: "js" for the JavaScript
   * targets (what Node's ESM loader needs), "ts" for TypeScript (NodeNext with
   * allowImportingTsExtensions, or a bundler); "js" for TypeScript compiled by tsc.
   */
  readonly importExtension?: "ts" | "js";
  readonly cwd?: string;
}

function packageFile(pkg: string, path: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), path);
}

export function toolPaths(): { buf: string; protocGenEs: string; protocGenPqrpc: string } {
  return {
    buf: packageFile("@bufbuild/buf", "bin/buf"),
    protocGenEs: packageFile("@bufbuild/protoc-gen-es", "bin/protoc-gen-es"),
    protocGenPqrpc: join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "protoc-gen-pqrpc.mjs"),
  };
}

/** Builds the buf.gen.yaml (v2) template. Plugins run under this Node, so no PATH lookup is involved. */
export function bufTemplate(
  out: string,
  runtime: string,
  target: Target,
  importExtension: "ts" | "js",
): object {
  const tools = toolPaths();
  const opt = [`target=${target}`, `import_extension=${importExtension}`];
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

/** Generates code for the inputs; resolves with buf's stderr (warnings). */
export async function generateCode(options: GenerateOptions): Promise<string> {
  const target = options.target ?? DEFAULT_TARGET;
  if (!TARGETS.includes(target)) {
    throw new GenerateError(`unknown target "${target}" (one of: ${TARGETS.join(", ")})`);
  }
  const { root, paths } = await resolveInputs(options);
  const out = resolve(options.cwd ?? process.cwd(), options.out);
  const importExtension = options.importExtension ?? (target === "ts" ? "ts" : "js");
  const template = bufTemplate(out, options.runtime ?? DEFAULT_RUNTIME_MODULE, target, importExtension);
  const args = [toolPaths().buf, "generate", root, "--template", JSON.stringify(template)];
  for (const p of paths) args.push("--path", p);
  const { stderr } = await runTool(args, { cwd: root, timeoutMs: GENERATE_TIMEOUT_MS, what: "buf generate" });
  return stderr.toString("utf8");
}
