/**
 * Frames on their way to the carrier. Frames queue here and go out together,
 * so one scheduling turn costs one carrier write (one TLS record run, one
 * syscall) rather than one per frame. A carrier that gathers writes (_writev:
 * net.Socket, and the TLS socket, which packs them into full records) gets
 * payload views as they are, no copy, and each run of small frames joined
 * (joinSmallRuns): one carrier write per run, not per frame. Any other
 * carrier gets one joined buffer: one copy, still cheaper than a write (or a
 * tiny TLS record) per frame header.
 */

import type { Duplex } from "node:stream";
import { concatChunks } from "../../bytes/bytes.ts";

/** Write batch size at which frames are handed to the carrier, bytes. */
export const WRITE_BATCH_BYTES = 64 * 1024;

/**
 * Frames up to this size that follow one another are joined into one buffer
 * for a gathering carrier: a carrier write costs more than copying a small
 * frame (a turn of 32 unary calls queues some 200 frames of 20-150 bytes),
 * while a larger frame, a message payload, still goes as the view it is.
 */
export const JOIN_FRAME_MAX_BYTES = 1024;

/** `frames` with each run of two or more small frames (JOIN_FRAME_MAX_BYTES) joined; larger ones as they are. */
export function joinSmallRuns(frames: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  let runBytes = 0;
  for (let i = 0; i <= frames.length; i++) {
    const f = frames[i];
    if (f !== undefined && f.length <= JOIN_FRAME_MAX_BYTES) {
      runBytes += f.length;
      continue;
    }
    // The run [start, i) ends here: at a large frame or at the end.
    if (i - start === 1) out.push(frames[start]!);
    else if (i - start > 1) out.push(concatChunks(frames.slice(start, i), runBytes));
    if (f !== undefined) out.push(f);
    start = i + 1;
    runBytes = 0;
  }
  return out;
}

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
      const out = joinSmallRuns(frames);
      if (out.length === 1) {
        this.carrier.write(out[0]!);
        return;
      }
      this.carrier.cork();
      for (const f of out) this.carrier.write(f);
      this.carrier.uncork();
    } else {
      this.carrier.write(concatChunks(frames, bytes));
    }
  }
}
