/**
 * `pqrpc` command dispatcher: the first argument names the command, the rest
 * goes to it. Each command's module is imported only when it runs, so
 * `pqrpc certs` does not pay for loading the RPC stack (and the reverse).
 */
import { CliError, type CliIo, EXIT_FAILURE, EXIT_USAGE, processIo } from "./cli-error.ts";
import { ExitStatus } from "./exit-status.ts";

export type Command = (args: string[], io: CliIo) => Promise<void>;

interface CommandEntry {
  readonly load: () => Promise<Command>;
  readonly summary: string;
}

const COMMANDS: Record<string, CommandEntry> = {
  certs: {
    load: async () => (await import("./certs.ts")).runCerts,
    summary: "create and inspect certificates (certs init, certs show)",
  },
  generate: {
    load: async () => (await import("./generate.ts")).runGenerate,
    summary: "compile .proto files to TypeScript (messages, clients, handlers)",
  },
  call: {
    load: async () => (await import("./call.ts")).runCall,
    summary: "call a method and print the responses as JSON (like grpcurl)",
  },
  health: {
    load: async () => (await import("./health.ts")).runHealth,
    summary: "check a server's grpc.health.v1 status; exits like grpc-health-probe",
  },
  probe: {
    load: async () => (await import("./probe.ts")).runProbe,
    summary: "show what a TLS 1.3 server negotiates: group, suite, chain, resumption",
  },
  serve: {
    load: async () => (await import("./serve.ts")).runServe,
    summary: "serve a .proto with your handlers, the demo Greeter or the interop TestService",
  },
  bench: {
    load: async () => (await import("./bench.ts")).runBench,
    summary: "load-test a method: concurrency, latency histogram, percentiles",
  },
};

export function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: pqrpc <command> [options]\n\ncommands:\n${lines.join("\n")}\n`;
}

/** Runs one command line; returns the process exit code. Errors become one line on stderr. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout(usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new CliError(`unknown command "${name}" (try: ${Object.keys(COMMANDS).join(", ")})`);
    await (await command.load())(rest, io);
    return 0;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    io.stderr(`pqrpc: ${message.split("\n")[0]}\n`);
    if (e instanceof ExitStatus) return e.exitCode;
    return e instanceof CliError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
      ? EXIT_USAGE
      : EXIT_FAILURE;
  }
}
