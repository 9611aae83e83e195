/**
 * @pqrpc/codegen: pqrpc's code generator (buf + protoc-gen-es +
 * protoc-gen-pqrpc), kept out of the library so that an application that
 * only runs pqrpc does not install buf and TypeScript. `pqrpc generate`
 * loads it on demand.
 */
export { BUILD_TIMEOUT_MS, compileDescriptorSet } from "./compile.ts";
export {
  bufTemplate,
  DEFAULT_TARGET,
  GENERATE_TIMEOUT_MS,
  type GenerateOptions,
  generateCode,
  TARGETS,
  type Target,
  toolPaths,
} from "./generate.ts";
export { GenerateError } from "./generate-error.ts";
export { DEFAULT_RUNTIME_MODULE, PLUGIN_NAME, PLUGIN_VERSION } from "./plugin-options.ts";
