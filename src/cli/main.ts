/**
 * `pqrpc` command dispatcher: the first argument names the command, the rest
 * goes to it. Each command's module is imported only when it runs, so
 * `pqrpc --help` and `pqrpc certs` do not pay for loading the RPC stack.
 */
import { readFileSync } from "node:fs";
import { CliError, type CliIo, EXIT_FAILURE, EXIT_USAGE, processIo } from "./cli-error.ts";
import { ExitStatus } from "./exit-status.ts";
import { type CommandName, commandHelp, isCommandName, mainHelp } from "./usage.ts";

export type Command = (args: string[], io: CliIo) => Promise<void>;

const COMMANDS: Record<CommandName, () => Promise<Command>> = {
  certs: async () => (await import("./certs.ts")).runCerts,
  generate: async () => (await import("./generate.ts")).runGenerate,
  call: async () => (await import("./call.ts")).runCall,
  health: async () => (await import("./health.ts")).runHealth,
  probe: async () => (await import("./probe.ts")).runProbe,
  serve: async () => (await import("./serve.ts")).runServe,
  ca: async () => (await import("./ca.ts")).runCa,
  tickets: async () => (await import("./tickets.ts")).runTickets,
  bench: async () => (await import("./bench.ts")).runBench,
};

/**
 * The version in pqrpc's package.json: the nearest one named "pqrpc" above
 * this module (src/cli, dist/cli or the bundle in dist/cli-bundle).
 */
export function packageVersion(): string {
  for (const up of ["../../package.json", "../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === "pqrpc" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not there: look one level further up
    }
  }
  return "unknown";
}

const HELP_FLAGS = new Set(["--help", "-h"]);

/** Runs one command line; returns the process exit code. Errors become one line on stderr. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(mainHelp());
    return EXIT_USAGE;
  }
  if (HELP_FLAGS.has(name)) {
    io.stdout(mainHelp());
    return 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.stdout(`pqrpc ${packageVersion()}\n`);
    return 0;
  }
  if (name === "help") {
    const topic = rest[0];
    if (topic === undefined) io.stdout(mainHelp());
    else if (isCommandName(topic)) io.stdout(commandHelp(topic));
    else
      return fail(io, new CliError(`unknown command "${topic}" (try: ${Object.keys(COMMANDS).join(", ")})`));
    return 0;
  }
  if (!isCommandName(name)) {
    return fail(io, new CliError(`unknown command "${name}" (try: ${Object.keys(COMMANDS).join(", ")})`));
  }
  // `--help` anywhere before a `--` (after which everything is an operand) asks for the command's help.
  const operandsAt = rest.indexOf("--");
  const options = operandsAt === -1 ? rest : rest.slice(0, operandsAt);
  if (options.some((a) => HELP_FLAGS.has(a))) {
    io.stdout(commandHelp(name));
    return 0;
  }
  try {
    await (await COMMANDS[name]())(rest, io);
    return 0;
  } catch (e) {
    return fail(io, e);
  }
}

function fail(io: CliIo, e: unknown): number {
  const message = e instanceof Error ? e.message : String(e);
  io.stderr(`pqrpc: ${message.split("\n")[0]}\n`);
  // A command with exit codes of its own (health: grpc-health-probe's) says which one.
  if (e instanceof ExitStatus) return e.exitCode;
  // Node's parseArgs errors carry a string code; others (RpcError's status) may be numbers.
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof CliError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS"))
    ? EXIT_USAGE
    : EXIT_FAILURE;
}
