/**
 * RpcError: the one error type of a call. It carries a gRPC status code, a
 * message, metadata (the trailers on the wire) and details (google.rpc.Status
 * details: typed protobuf messages packed as google.protobuf.Any).
 */

import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { CodedError } from "../errors/coded-error.ts";
import { Code, codeName } from "./code.ts";
import { Metadata, type MetadataInit } from "./metadata.ts";
import type { ErrorDetail } from "./status-details.ts";

export interface RpcErrorOptions {
  readonly metadata?: MetadataInit;
  readonly details?: readonly ErrorDetail[];
  readonly cause?: unknown;
}

export class RpcError extends CodedError<Code> {
  override readonly name = "RpcError";
  /** The message without the "[CODE]" prefix: what travels as grpc-message. */
  readonly rawMessage: string;
  /** Trailing metadata sent with (server) or received with (client) the status. */
  readonly metadata: Metadata;
  readonly details: ErrorDetail[];

  constructor(code: Code, message: string, options?: RpcErrorOptions) {
    super(code, message === "" ? `[${codeName(code)}]` : `[${codeName(code)}] ${message}`, {
      cause: options?.cause,
    });
    this.rawMessage = message;
    this.metadata =
      options?.metadata instanceof Metadata ? options.metadata : new Metadata(options?.metadata);
    this.details = [...(options?.details ?? [])];
  }

  /**
   * Wraps any thrown value. An RpcError passes through; an AbortSignal reason
   * that is an RpcError too; anything else becomes `code` with the value's
   * message (callers on the server side must not leak that message; see router).
   */
  static from(reason: unknown, code: Code = Code.UNKNOWN): RpcError {
    if (reason instanceof RpcError) return reason;
    if (reason instanceof Error) {
      if (reason.name === "AbortError" || reason.name === "TimeoutError") {
        const c = reason.name === "TimeoutError" ? Code.DEADLINE_EXCEEDED : Code.CANCELLED;
        return new RpcError(c, reason.message, { cause: reason });
      }
      return new RpcError(code, reason.message, { cause: reason });
    }
    return new RpcError(code, String(reason), { cause: reason });
  }

  /** Packs a message as a detail (google.protobuf.Any). */
  addDetail<Desc extends DescMessage>(schema: Desc, value: MessageInitShape<Desc>): this {
    const message = create(schema, value);
    this.details.push({ type: schema.typeName, value: toBinary(schema, message) });
    return this;
  }

  /** The details of type `schema`, decoded; details that fail to parse are skipped. */
  findDetails<Desc extends DescMessage>(schema: Desc): MessageShape<Desc>[] {
    const found: MessageShape<Desc>[] = [];
    for (const d of this.details) {
      if (d.type !== schema.typeName) continue;
      try {
        found.push(fromBinary(schema, d.value));
      } catch {
        // A detail we cannot parse is no reason to lose the error itself.
      }
    }
    return found;
  }
}
