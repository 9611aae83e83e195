/**
 * pqrpc/1 client side of the rpc transport contract (src/rpc/transport.ts):
 * one call = one stream of a FrameEndpoint. Session failures become RpcError
 * with the status of SPEC §Error codes (rpc-status.ts). A call past the
 * server's concurrent stream limit waits for a slot, as gRPC's do.
 * Reconnecting is the owner's job (the channel): a session that is shutting
 * down refuses new calls with UNAVAILABLE, and no call ever waits on a dead
 * session.
 */
import { Code } from "../../rpc/code.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import type {
  ClientCallStream,
  ClientReadEvent,
  ClientTransport,
  RequestHead,
  WireMessage,
} from "../../rpc/transport.ts";
import { ErrorCode } from "./error-codes.ts";
import type { FrameEndpoint } from "./frame-endpoint.ts";
import type { FrameStream, StreamEvent } from "./frame-stream.ts";
import type { HeaderField } from "./header-field.ts";
import { requestHeadToFields, responseHeadFromFields } from "./headers.ts";
import { toRpcError } from "./rpc-errors.ts";
import { StreamError } from "./stream-error.ts";
import { trailerFromFrame } from "./trailer-status.ts";

export interface FramesClientTransportOptions {
  /** Sent as :authority (the server name), if set. */
  authority?: string;
}

export function createFramesClientTransport(
  session: FrameEndpoint,
  options: FramesClientTransportOptions = {},
): ClientTransport {
  return {
    openCall(head: RequestHead): ClientCallStream {
      const fields = requestHeadToFields(head, options.authority);
      if (session.availableStreams === 0 && session.isOpen) {
        // gRPC semantics: a call past the peer's concurrent limit waits for a slot, not fails.
        return new FramesClientCall(openWhenAvailable(session, fields));
      }
      try {
        return new FramesClientCall(session.openStream(fields));
      } catch (e) {
        return failedCall(toRpcError(e));
      }
    },
  };
}

async function openWhenAvailable(session: FrameEndpoint, fields: HeaderField[]): Promise<FrameStream> {
  for (;;) {
    await session.whenStreamAvailable();
    try {
      return session.openStream(fields);
    } catch (e) {
      // Another caller took the slot first: wait for the next one.
      if (!(e instanceof StreamError && e.reason === "stream-limit")) throw e;
    }
  }
}

const DONE: Promise<void> = Promise.resolve();

class FramesClientCall implements ClientCallStream {
  private cancelled: RpcError | undefined;
  private finished = false;
  private stream: FrameStream | undefined;
  private readonly opening: Promise<FrameStream> | undefined;

  constructor(stream: FrameStream | Promise<FrameStream>) {
    if (stream instanceof Promise) {
      this.opening = stream.then((s) => {
        this.stream = s;
        if (this.cancelled) s.reset(ErrorCode.CANCEL);
        return s;
      });
      this.opening.catch(() => {});
    } else {
      this.stream = stream;
    }
  }

  /** The stream when it is open and the call not cancelled, so send, closeSend and read await no extra promise. */
  private openedNow(): FrameStream | undefined {
    return this.cancelled === undefined ? this.stream : undefined;
  }

  /** The stream, once opened; a call that could not be opened fails with UNAVAILABLE. */
  private async opened(): Promise<FrameStream> {
    if (this.cancelled) throw this.cancelled;
    if (this.stream) return this.stream;
    try {
      return await this.opening!;
    } catch (e) {
      throw this.cancelled ?? toRpcError(e);
    }
  }

  // Open and not cancelled (every call once its stream exists): the stream's promise mapped
  // once, with no async wrapper and no await per operation. Otherwise the *Later forms wait.

  send(message: WireMessage): Promise<void> {
    const stream = this.openedNow();
    if (stream === undefined) return this.sendLater(message);
    if (this.finished) return DONE; // the server already ended the call: its trailers say how
    return stream.send(message.data, { compressed: message.compressed }).then(undefined, this.sendFailed);
  }

  closeSend(): Promise<void> {
    const stream = this.openedNow();
    if (stream === undefined) return this.closeSendLater();
    if (this.finished) return DONE;
    return stream.end().then(undefined, this.sendFailed);
  }

  read(): Promise<ClientReadEvent> {
    const stream = this.openedNow();
    if (stream === undefined) return this.readLater();
    return stream.read().then(this.toReadEvent, this.readFailed);
  }

  private async sendLater(message: WireMessage): Promise<void> {
    const stream = await this.opened();
    if (this.finished) return;
    return stream.send(message.data, { compressed: message.compressed }).then(undefined, this.sendFailed);
  }

  private async closeSendLater(): Promise<void> {
    const stream = await this.opened();
    if (this.finished) return;
    return stream.end().then(undefined, this.sendFailed);
  }

  private async readLater(): Promise<ClientReadEvent> {
    const stream = await this.opened();
    return stream.read().then(this.toReadEvent, this.readFailed);
  }

  /** A send or closeSend that failed: quiet once the server has finished the stream, else the call's error. */
  private readonly sendFailed = (e: unknown): void => {
    if (e instanceof StreamError && e.reason === "finished") return;
    throw this.cancelled ?? toRpcError(e);
  };

  private readonly readFailed = (e: unknown): never => {
    throw this.cancelled ?? toRpcError(e);
  };

  private readonly toReadEvent = (event: StreamEvent | undefined): ClientReadEvent => {
    if (event === undefined) throw new RpcError(Code.INTERNAL, "the stream ended without trailers");
    switch (event.type) {
      case "headers":
        try {
          return { type: "header", head: responseHeadFromFields(event.fields) };
        } catch (e) {
          this.stream?.reset(ErrorCode.PROTOCOL_ERROR);
          throw new RpcError(Code.INTERNAL, `malformed response headers: ${(e as Error).message}`);
        }
      case "message":
        return { type: "message", message: { data: event.data, compressed: event.compressed } };
      case "trailers":
        this.finished = true;
        return { type: "trailer", trailer: trailerFromFrame(event.status, event.message, event.fields) };
    }
  };

  cancel(reason: RpcError): void {
    if (this.cancelled) return;
    this.cancelled = reason;
    this.stream?.reset(ErrorCode.CANCEL);
  }
}

/** A call that could not be opened (nothing was sent): every operation fails with `error`. */
function failedCall(error: RpcError): ClientCallStream {
  return {
    send: () => Promise.reject(error),
    closeSend: () => Promise.reject(error),
    read: () => Promise.reject(error),
    cancel: () => {},
  };
}
