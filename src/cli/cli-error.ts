/** A command-line mistake (unknown command, bad option): printed as one line, exit code EXIT_USAGE. */
import { CodedError } from "../errors/coded-error.ts";
export class CliError extends CodedError<"usage"> {
  override readonly name = "CliError";
  constructor(message: string) {
    super("usage", message);
  }
}

/** Exit codes (sysexits.h style): failure of the operation, and a usage error. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};
