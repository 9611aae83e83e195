/**
 * The Node adapter of the pqrpc/1 connection: a FrameEndpoint
 * (frame-endpoint.ts, over the sans-IO connection.ts) on a Duplex carrier —
 * the TLS socket, a TCP socket, or an in-memory pair in tests. It owns only
 * the carrier: its events, write batching (WriteBatch: one carrier write per
 * turn), backpressure under `writeBufferBytes`, and letting it go.
 */

import type { Duplex } from "node:stream";
import "../../node/uninitialized-bytes.ts";
import { CLOSE_LINGER_MS, NODE_SESSION_SETTINGS } from "./connection-options.ts";
import { type FrameCarrier, FrameEndpoint } from "./frame-endpoint.ts";
import {
  DEFAULT_WRITE_BUFFER_BYTES,
  type FrameSessionOptions,
  type SessionStats,
} from "./session-options.ts";
import { WriteBatch } from "./write-batch.ts";

export * from "./session-options.ts";

const CARRIER_EVENTS = ["data", "end", "error", "close", "drain"] as const;

export class FrameSession extends FrameEndpoint {
  private readonly carrierStream: Duplex;
  private readonly out: WriteBatch;
  private readonly listeners: Record<(typeof CARRIER_EVENTS)[number], (...args: unknown[]) => void>;

  constructor(carrier: Duplex, options: FrameSessionOptions) {
    const out = new WriteBatch(carrier);
    const writeLimit = Math.max(
      options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES,
      carrier.writableHighWaterMark,
    );
    const detach = () => {
      for (const event of CARRIER_EVENTS) carrier.off(event, listeners[event]);
      // Errors after we leave must not crash the process as unhandled 'error' events.
      carrier.on("error", ignore);
    };
    const nodeCarrier: FrameCarrier = {
      writableRoom: () => writeLimit - out.backlogBytes,
      write: (frames) => {
        for (const f of frames) out.push(f);
        out.flush();
      },
      end: () => {
        out.flush();
        if (!carrier.writableEnded) carrier.end();
      },
      release: (abrupt) => {
        out.flush();
        detach();
        if (abrupt || carrier.writableEnded) {
          carrier.destroy();
          return;
        }
        // Let the GOAWAY reach the peer, but never wait on a peer that does not read.
        const linger = setTimeout(() => carrier.destroy(), CLOSE_LINGER_MS);
        linger.unref?.();
        carrier.end(() => {
          clearTimeout(linger);
          carrier.destroy();
        });
      },
      later: (fn) => {
        const immediate = setImmediate(fn);
        return () => clearImmediate(immediate);
      },
    };
    super(nodeCarrier, { ...options, settings: { ...NODE_SESSION_SETTINGS, ...options.settings } });
    this.carrierStream = carrier;
    this.out = out;
    const listeners: Record<(typeof CARRIER_EVENTS)[number], (...args: unknown[]) => void> = {
      data: (chunk) => this.receiveBytes(chunk as Uint8Array),
      end: () => this.carrierGone("the peer ended the connection"),
      error: (e) => this.carrierGone(`carrier error: ${(e as Error).message}`),
      close: () => this.carrierGone("the connection closed"),
      drain: () => this.resume(),
    };
    this.listeners = listeners;
    for (const event of CARRIER_EVENTS) carrier.on(event, listeners[event]);
    this.start();
  }

  get stats(): SessionStats {
    const c = this.connection.stats;
    return {
      openStreams: c.openStreams,
      timers: this.timers,
      carrierListeners: CARRIER_EVENTS.reduce(
        (n, e) => n + this.carrierStream.listeners(e).filter((l) => l === this.listeners[e]).length,
        0,
      ),
      bufferedWriteBytes: this.out.backlogBytes + c.controlBacklogBytes,
      bufferedReadBytes: c.bufferedReadBytes,
      pendingPings: this.pendingPings,
      streamWaiters: this.streamWaiters,
    };
  }
}

function ignore(): void {}
