/**
 * `pqrpc serve --proto FILE --impl MODULE`: the services of a .proto
 * (compiled at run time by buf, as `pqrpc call --proto` does) bound to
 * handlers from a user's module.
 *
 * MODULE's default export is either
 *   - an object mapping fully-qualified service names to handler objects:
 *       export default { "greeter.v1.Greeter": { sayHello(req, ctx) { ... }, ... } };
 *     handlers are keyed by the method's lowerCamel name, exactly as a
 *     generated `XxxHandlers` interface (`pqrpc generate`) spells them; or
 *   - a function (sync or async) that receives { services } (the compiled
 *     service descriptors) and returns such an object.
 * A service of the .proto that the module does not name is not served
 * (UNIMPLEMENTED); a name the .proto does not define is an error.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { DescService } from "@bufbuild/protobuf";
import { CliError } from "./cli-error.ts";
import type { Schema } from "./schema.ts";

/** Handler objects by fully-qualified service name. */
export type ServiceImplementations = Readonly<Record<string, object>>;

/** What a function default export receives. */
export interface ImplContext {
  readonly services: readonly DescService[];
}

export type ImplModuleExport =
  | ServiceImplementations
  | ((context: ImplContext) => ServiceImplementations | Promise<ServiceImplementations>);

export interface BoundService {
  readonly service: DescService;
  readonly handlers: object;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/** Imports MODULE and pairs each implementation it names with a service of `schema`. */
export async function loadImplementations(modulePath: string, schema: Schema): Promise<BoundService[]> {
  const file = resolve(modulePath);
  if (!(await stat(file).catch(() => undefined))?.isFile()) {
    throw new CliError(`--impl ${modulePath}: no such file`);
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw new CliError(`--impl ${modulePath}: cannot load it: ${(e as Error).message.split("\n")[0]}`);
  }
  const services = schema.services.map((name) => schema.registry.getService(name)!);
  let impls = mod.default;
  if (typeof impls === "function") impls = await (impls as (c: ImplContext) => unknown)({ services });
  if (!isObject(impls)) {
    throw new CliError(
      `--impl ${modulePath}: the default export must be an object mapping service names to handlers, or a function returning one`,
    );
  }
  const bound: BoundService[] = [];
  for (const [name, handlers] of Object.entries(impls)) {
    const service = schema.registry.getService(name);
    if (!service) {
      throw new CliError(
        `--impl ${modulePath}: no service "${name}" in the .proto (have: ${schema.services.join(", ") || "none"})`,
      );
    }
    if (!isObject(handlers))
      throw new CliError(`--impl ${modulePath}: "${name}" must map to a handler object`);
    const known = new Set(service.methods.map((m) => m.localName));
    for (const key of Object.keys(handlers)) {
      if (!known.has(key)) {
        throw new CliError(
          `--impl ${modulePath}: ${name} has no method "${key}" (handlers are named ${[...known].join(", ")})`,
        );
      }
    }
    bound.push({ service, handlers });
  }
  if (bound.length === 0) throw new CliError(`--impl ${modulePath}: the default export names no service`);
  return bound;
}
