/**
 * `pqrpc generate [--out DIR] [--root DIR] [--runtime MODULE] [--import-extension ts|js] FILES_OR_DIRS...`
 * compiles proto3 files with the bundled buf, protoc-gen-es and protoc-gen-pqrpc:
 * `*_pb.ts` (messages, service descriptors) and `*_pqrpc.ts` (typed client
 * and handler interfaces) under DIR (default "gen").
 */
import { parseArgs } from "node:util";
import { generateCode } from "../codegen/generate.ts";
import { CliError, type CliIo } from "./cli-error.ts";

const DEFAULT_OUT_DIR = "gen";
const GENERATE_USAGE =
  "usage: pqrpc generate [--out DIR] [--root DIR] [--runtime MODULE] [--import-extension ts|js] FILES_OR_DIRS...";

export async function runGenerate(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string", default: DEFAULT_OUT_DIR },
      root: { type: "string" },
      runtime: { type: "string" },
      "import-extension": { type: "string", default: "ts" },
    },
  });
  if (positionals.length === 0) throw new CliError(GENERATE_USAGE);
  const ext = values["import-extension"];
  if (ext !== "ts" && ext !== "js") throw new CliError(`--import-extension must be ts or js, not "${ext}"`);
  const warnings = await generateCode({
    inputs: positionals,
    out: values.out,
    ...(values.root !== undefined ? { root: values.root } : {}),
    ...(values.runtime !== undefined ? { runtime: values.runtime } : {}),
    importExtension: ext,
  });
  if (warnings.trim() !== "") io.stderr(warnings);
  io.stdout(`generated TypeScript in ${values.out}\n`);
}
