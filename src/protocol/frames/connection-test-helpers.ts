/** Fixtures for the sans-IO connection: a fake clock, two connected cores, and a hand-driven raw peer. */

import { FrameConnection } from "./connection.ts";
import type { ConnectionEvent, ConnectionOptions } from "./connection-options.ts";
import { FrameType } from "./constants.ts";
import type { Frame } from "./frame.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import { encodeFrame } from "./frame-encoder.ts";
import { HeaderEncoder } from "./header-encoder.ts";
import type { HeaderField } from "./header-field.ts";

/** A MESSAGE frame: a whole message by default (`end: false` for a part), not ending the stream. */
export function messageFrame(
  streamId: number,
  data: Uint8Array,
  flags: { end?: boolean; endStream?: boolean } = {},
): Frame {
  return {
    type: FrameType.MESSAGE,
    streamId,
    endStream: flags.endStream ?? false,
    messageEnd: flags.end ?? true,
    compressed: false,
    data,
  };
}

export class FakeClock {
  now = 1_000;
  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }
}

/** A core plus every event it has emitted. */
export class Side {
  readonly events: ConnectionEvent[] = [];
  constructor(readonly conn: FrameConnection) {}

  drain(): ConnectionEvent[] {
    const fresh = this.conn.takeEvents();
    this.events.push(...fresh);
    return fresh;
  }

  of<T extends ConnectionEvent["type"]>(type: T): Extract<ConnectionEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<ConnectionEvent, { type: T }> => e.type === type);
  }
}

/**
 * Two cores joined by a byte pipe. `autoConsume` makes each side consume
 * every "stream"/"headers"/"message" event at once, like an application that
 * keeps reading.
 */
export class Pair {
  readonly clock = new FakeClock();
  readonly client: Side;
  readonly server: Side;
  /** Bytes carried, per direction. */
  carried = { toServer: 0, toClient: 0 };

  constructor(
    client: Omit<ConnectionOptions, "role"> = {},
    server: Omit<ConnectionOptions, "role"> = {},
    readonly autoConsume = true,
  ) {
    this.client = new Side(new FrameConnection({ ...client, role: "client" }, this.clock.now));
    this.server = new Side(new FrameConnection({ ...server, role: "server" }, this.clock.now));
  }

  /** Moves bytes both ways until neither side has anything to write. */
  run(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      const a = this.client.conn.takeOutgoing();
      for (const f of a ?? []) {
        this.carried.toServer += f.length;
        this.server.conn.receive(f, this.clock.now);
      }
      const b = this.server.conn.takeOutgoing();
      for (const f of b ?? []) {
        this.carried.toClient += f.length;
        this.client.conn.receive(f, this.clock.now);
      }
      this.settle(this.client);
      this.settle(this.server);
      if (!a && !b) return;
    }
    throw new Error("the pair did not settle");
  }

  private settle(side: Side): void {
    for (const e of side.drain()) {
      if (this.autoConsume && (e.type === "stream" || e.type === "headers" || e.type === "message")) {
        side.conn.consume(e.streamId);
      }
    }
  }

  /** Advances the fake clock and polls both sides. */
  advance(ms: number): void {
    const now = this.clock.advance(ms);
    this.client.conn.poll(now);
    this.server.conn.poll(now);
    this.run();
  }
}

/** A peer written by hand: frames in, frames out, against one core. */
export class RawPeer {
  readonly clock = new FakeClock();
  readonly encoder = new HeaderEncoder();
  private readonly decoder = new FrameDecoder(1 << 24);
  readonly side: Side;
  readonly received: Frame[] = [];

  constructor(options: ConnectionOptions) {
    this.side = new Side(new FrameConnection(options, this.clock.now));
  }

  get conn(): FrameConnection {
    return this.side.conn;
  }

  send(...frames: Frame[]): void {
    for (const f of frames) this.conn.receive(encodeFrame(f), this.clock.now);
    this.flush();
  }

  sendBytes(bytes: Uint8Array): void {
    this.conn.receive(bytes, this.clock.now);
    this.flush();
  }

  /** Reads what the core wrote and its events. */
  flush(): void {
    for (let out = this.conn.takeOutgoing(); out; out = this.conn.takeOutgoing()) {
      for (const f of out) this.received.push(...this.decoder.push(f));
    }
    this.side.drain();
  }

  /** SETTINGS (all defaults) and the ACK of the core's SETTINGS. */
  handshake(entries: [number, number][] = []): void {
    this.send(
      { type: FrameType.SETTINGS, ack: false, entries },
      { type: FrameType.SETTINGS, ack: true, entries: [] },
    );
  }

  headers(streamId: number, fields: HeaderField[] = [[":path", "/a.B/C"]], endStream = false): Frame {
    return { type: FrameType.HEADERS, streamId, endStream, block: this.encoder.encode(fields) };
  }

  message(streamId: number, data: Uint8Array, flags: { end?: boolean; endStream?: boolean } = {}): Frame {
    return messageFrame(streamId, data, flags);
  }

  framesOf<T extends Frame["type"]>(type: T): Extract<Frame, { type: T }>[] {
    return this.received.filter((f): f is Extract<Frame, { type: T }> => f.type === type);
  }

  advance(ms: number): void {
    this.conn.poll(this.clock.advance(ms));
    this.flush();
  }
}
