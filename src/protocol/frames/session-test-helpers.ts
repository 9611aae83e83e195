/** Test fixtures for the session: two connected sessions, and a raw peer that speaks frames by hand. */
import type { Duplex } from "node:stream";
import { createMemoryPair } from "../../transport/memory-pair.ts";
import { FrameType } from "./constants.ts";
import type { Frame } from "./frame.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import { encodeFrame } from "./frame-encoder.ts";
import type { FrameStream } from "./frame-stream.ts";
import { HeaderEncoder } from "./header-encoder.ts";
import type { HeaderField } from "./header-field.ts";
import { FrameSession, type FrameSessionOptions } from "./session.ts";

export type SideOptions = Omit<FrameSessionOptions, "role">;

export function sessionPair(
  client: SideOptions = {},
  server: SideOptions = {},
  highWaterMark?: number,
): { client: FrameSession; server: FrameSession; carriers: [Duplex, Duplex] } {
  const [a, b] = createMemoryPair(highWaterMark === undefined ? {} : { highWaterMark });
  return {
    server: new FrameSession(b, { ...server, role: "server" }),
    client: new FrameSession(a, { ...client, role: "client" }),
    carriers: [a, b],
  };
}

/** A server handler that echoes every message and ends with status 0 and the request's x-echo header. */
export function echoHandler(stream: FrameStream): void {
  void (async () => {
    let echo: HeaderField[] = [];
    try {
      for await (const e of stream) {
        if (e.type === "headers") echo = e.fields.filter(([n]) => n === "x-echo");
        else if (e.type === "message") await stream.send(e.data, { compressed: e.compressed });
      }
      await stream.sendTrailers(0, "done", echo);
    } catch {
      // the stream failed; the test checks it from the other side
    }
  })();
}

/** Reads a stream to its end: headers, messages, trailers. */
export async function collect(stream: FrameStream): Promise<{
  headers: HeaderField[] | undefined;
  messages: Uint8Array[];
  status: number | undefined;
  trailers: HeaderField[];
}> {
  let headers: HeaderField[] | undefined;
  const messages: Uint8Array[] = [];
  let status: number | undefined;
  let trailers: HeaderField[] = [];
  for await (const e of stream) {
    if (e.type === "headers") headers = e.fields;
    // A plain Uint8Array view (the session hands out Buffer views), so deepEqual compares bytes.
    else if (e.type === "message")
      messages.push(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.length));
    else {
      status = e.status;
      trailers = e.fields;
    }
  }
  return { headers, messages, status, trailers };
}

/** A hand-driven peer: sends frames as given, records every frame it receives. */
export class RawPeer {
  readonly frames: Frame[] = [];
  readonly encoder = new HeaderEncoder();
  private readonly decoder = new FrameDecoder(1 << 24);
  private waiters: (() => void)[] = [];
  ended = false;

  constructor(
    readonly carrier: Duplex,
    options: { read?: boolean } = {},
  ) {
    if (options.read !== false) {
      carrier.on("data", (chunk: Uint8Array) => {
        this.frames.push(...this.decoder.push(chunk));
        this.wake();
      });
    }
    carrier.on("end", () => {
      this.ended = true;
      this.wake();
    });
    carrier.on("close", () => {
      this.ended = true;
      this.wake();
    });
    carrier.on("error", () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(...frames: Frame[]): void {
    for (const f of frames) this.carrier.write(encodeFrame(f));
  }

  /** SETTINGS (empty: all defaults) and the ACK of the session's SETTINGS. */
  handshake(): void {
    this.send(
      { type: FrameType.SETTINGS, ack: false, entries: [] },
      { type: FrameType.SETTINGS, ack: true, entries: [] },
    );
  }

  headers(streamId: number, fields: HeaderField[], endStream = false): Frame {
    return { type: FrameType.HEADERS, streamId, endStream, block: this.encoder.encode(fields) };
  }

  async waitFor(predicate: (frames: Frame[]) => boolean, what: string, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

export const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Asserts the session holds nothing: no stream, timer, carrier listener or buffered byte. */
export function isClean(s: FrameSession): boolean {
  const st = s.stats;
  return st.openStreams === 0 && st.timers === 0 && st.carrierListeners === 0 && st.pendingPings === 0;
}
