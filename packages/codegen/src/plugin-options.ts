/**
 * The options protoc-gen-pqrpc takes (besides protobuf-es's own `target`,
 * `import_extension` and friends, which @bufbuild/protoplugin handles).
 * Kept apart from the plugin so that `generateCode` does not load the
 * plugin's dependencies (protoplugin and its TypeScript compiler).
 */
export const PLUGIN_NAME = "protoc-gen-pqrpc";
export const PLUGIN_VERSION = "v0.1.0";
/** Where generated stubs import the rpc API from, unless `runtime=` says otherwise. */
export const DEFAULT_RUNTIME_MODULE = "pqrpc";

export interface PluginOptions {
  /** Module specifier of the rpc API; a path starting with "./" is relative to the output root. */
  runtime: string;
}

export function parsePluginOptions(raw: { key: string; value: string }[]): PluginOptions {
  const options: PluginOptions = { runtime: DEFAULT_RUNTIME_MODULE };
  for (const { key, value } of raw) {
    if (key === "runtime" && value !== "") options.runtime = value;
    else throw new Error(`${PLUGIN_NAME}: unknown option "${key}"`);
  }
  return options;
}
