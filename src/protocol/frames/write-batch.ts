/**
 * Frames on their way to the carrier. Frames queue here and go out together,
 * so one scheduling turn costs one carrier write (one TLS record run, one
 * syscall) rather than one per frame. A carrier that gathers writes (_writev:
 * net.Socket, and the TLS socket, which packs them into full records) gets
 * the buffers as they are, payload views included: no copy here. Any other
 * carrier gets one joined buffer: one copy, still cheaper than a write (or a
 * tiny TLS record) per frame header.
 */

import type { Duplex } from "node:stream";
import { concatChunks } from "../../bytes/bytes.ts";

/** Write batch size at which frames are handed to the carrier, bytes. */
export const WRITE_BATCH_BYTES = 64 * 1024;

export class WriteBatch {
  private frames: Uint8Array[] = [];
  private bytes = 0;
  /** True when the carrier gathers writes itself. */
  readonly gathers: boolean;

  constructor(private readonly carrier: Duplex) {
    this.gathers = typeof (carrier as unknown as { _writev?: unknown })._writev === "function";
  }

  /** Bytes queued here and not yet handed to the carrier. */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Bytes queued here plus bytes the carrier still buffers. */
  get backlogBytes(): number {
    return this.carrier.writableLength + this.bytes;
  }

  push(frame: Uint8Array): void {
    this.frames.push(frame);
    this.bytes += frame.length;
    if (this.bytes >= WRITE_BATCH_BYTES) this.flush();
  }

  /** Hands everything queued to the carrier (dropped if the carrier can no longer write). */
  flush(): void {
    const frames = this.frames;
    const bytes = this.bytes;
    this.frames = [];
    this.bytes = 0;
    if (frames.length === 0 || this.carrier.destroyed || this.carrier.writableEnded) return;
    if (frames.length === 1) {
      this.carrier.write(frames[0]!);
    } else if (this.gathers) {
      this.carrier.cork();
      for (const f of frames) this.carrier.write(f);
      this.carrier.uncork();
    } else {
      this.carrier.write(concatChunks(frames, bytes));
    }
  }
}
