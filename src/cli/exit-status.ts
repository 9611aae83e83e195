/**
 * A command's failure that carries its own exit code, for commands whose
 * codes are a contract with other tools (`pqrpc health` exits as
 * grpc-health-probe does). main() prints the message and returns the code.
 */
export class ExitStatus extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ExitStatus";
    this.exitCode = exitCode;
  }
}
