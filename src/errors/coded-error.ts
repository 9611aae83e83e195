/**
 * The base of pqrpc's typed errors: a machine-readable `code` beside the
 * human-readable message, and a `name` that says which layer raised it
 * (TlsError, PkiError, RpcError, FrameError, ...). Callers branch on
 * `instanceof` of the subclass, or on `code`; messages are for people.
 *
 * Each subclass declares its name as a literal field (`override readonly
 * name = "PkiError"`) rather than reading the constructor's name, which a
 * minifier renames. No dependencies: every layer, in every runtime, can use it.
 */
export abstract class CodedError<C extends string | number = string> extends Error {
  abstract override readonly name: string;
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
