/**
 * A call opened while the channel has no usable connection: it waits for
 * one, then forwards everything to the real call. The rpc contract says
 * openCall does not wait (src/rpc/transport.ts): sending and reading do, and
 * fail with UNAVAILABLE when no connection can be made. Cancelling while it
 * waits rejects the waiting operations with the cancel reason at once.
 */
import { Code } from "../rpc/code.ts";
import { RpcError } from "../rpc/rpc-error.ts";
import type { ClientCallStream, ClientReadEvent, WireMessage } from "../rpc/transport.ts";

export class PendingCall implements ClientCallStream {
  private call: ClientCallStream | undefined;
  private cancelled: RpcError | undefined;
  private readonly opening: Promise<ClientCallStream>;
  private rejectWaiting!: (reason: RpcError) => void;
  private readonly cancelledSignal: Promise<never>;

  constructor(opening: Promise<ClientCallStream>) {
    this.cancelledSignal = new Promise<never>((_, reject) => (this.rejectWaiting = reject));
    this.cancelledSignal.catch(() => {});
    this.opening = opening.then(
      (call) => {
        this.call = call;
        if (this.cancelled) call.cancel(this.cancelled);
        return call;
      },
      (error: unknown) => {
        throw RpcError.from(error, Code.UNAVAILABLE);
      },
    );
    this.opening.catch(() => {});
  }

  private opened(): Promise<ClientCallStream> {
    if (this.cancelled) return Promise.reject(this.cancelled);
    if (this.call) return Promise.resolve(this.call);
    return Promise.race([this.opening, this.cancelledSignal]);
  }

  async send(message: WireMessage): Promise<void> {
    return (await this.opened()).send(message);
  }

  async closeSend(): Promise<void> {
    return (await this.opened()).closeSend();
  }

  async read(): Promise<ClientReadEvent> {
    return (await this.opened()).read();
  }

  cancel(reason: RpcError): void {
    if (this.cancelled) return;
    this.cancelled = reason;
    this.rejectWaiting(reason);
    this.call?.cancel(reason);
  }
}

/** A call that cannot be opened at all: every operation fails with `error`. */
export function failedCall(error: RpcError): ClientCallStream {
  return {
    send: () => Promise.reject(error),
    closeSend: () => Promise.reject(error),
    read: () => Promise.reject(error),
    cancel: () => {},
  };
}
