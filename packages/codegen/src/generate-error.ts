/** A failure of the code generator (bad input, buf error), with buf's diagnostics. */
export class GenerateError extends Error {
  readonly code = "ERR_GENERATE";
  constructor(message: string) {
    super(message);
    this.name = "GenerateError";
  }
}
