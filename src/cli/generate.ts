/**
 * `pqrpc generate [--out DIR] [--target ts|js|dts|js+dts] [--root DIR] [--runtime MODULE]
 * [--import-extension ts|js] FILES_OR_DIRS...` compiles proto3 files with buf,
 * protoc-gen-es and protoc-gen-pqrpc (the @pqrpc/codegen package): `*_pb`
 * (messages, service descriptors) and `*_pqrpc` (typed client and handler
 * interfaces) under DIR (default "gen"), as TypeScript or as JavaScript with
 * declaration files.
 */
import { parseArgs } from "node:util";
import { CliError, type CliIo } from "./cli-error.ts";
import { loadCodegen } from "./load-codegen.ts";
import { commandUsage } from "./usage.ts";

const DEFAULT_OUT_DIR = "gen";
const TARGET_NAMES = ["ts", "js", "dts", "js+dts"] as const;
type TargetName = (typeof TARGET_NAMES)[number];

function isTarget(value: string): value is TargetName {
  return (TARGET_NAMES as readonly string[]).includes(value);
}

export async function runGenerate(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string", default: DEFAULT_OUT_DIR },
      target: { type: "string", default: "ts" },
      root: { type: "string" },
      runtime: { type: "string" },
      "import-extension": { type: "string" },
    },
  });
  if (positionals.length === 0) throw new CliError(commandUsage("generate"));
  const target = values.target;
  if (!isTarget(target))
    throw new CliError(`--target must be one of ${TARGET_NAMES.join(", ")}, not "${target}"`);
  const ext = values["import-extension"];
  if (ext !== undefined && ext !== "ts" && ext !== "js") {
    throw new CliError(`--import-extension must be ts or js, not "${ext}"`);
  }
  const codegen = await loadCodegen("pqrpc generate");
  let warnings: string;
  try {
    warnings = await codegen.generateCode({
      inputs: positionals,
      out: values.out,
      target,
      ...(values.root !== undefined ? { root: values.root } : {}),
      ...(values.runtime !== undefined ? { runtime: values.runtime } : {}),
      ...(ext !== undefined ? { importExtension: ext } : {}),
    });
  } catch (e) {
    // buf's diagnostics span several lines; the CLI prints the first, which names the file and the problem.
    if (e instanceof codegen.GenerateError) throw new Error(e.message.trim());
    throw e;
  }
  if (warnings.trim() !== "") io.stderr(warnings);
  const what = target === "ts" ? "TypeScript" : target === "dts" ? "declarations" : "JavaScript";
  io.stdout(`generated ${what} (${target}) in ${values.out}\n`);
}
