/**
 * One read buffer a TCP client reuses for every read (net.Socket's `onread`
 * option), so receiving costs no new buffer per read: connectTls gives one
 * to each client connection it makes (docs/ARCHITECTURE.md, "Bytes: copy or
 * view": 64 KiB held per client connection for its life).
 *
 * Each read is handed to the sink as a view of the buffer, valid only until
 * the sink returns: the next read rewrites it. The TlsSocket that attaches
 * has its engine copy out what it still holds (TlsConnection.detachInput).
 */

/** Bytes of the buffer: what one read from the kernel can return (Node's own default read size). */
export const REUSED_READ_BUFFER_BYTES = 64 * 1024;

/** Receives one read; false asks the socket to stop reading (it is resumed with socket.resume()). */
export type ReadSink = (view: Uint8Array) => boolean;

export class ReusedReadBuffer {
  private readonly buffer: Uint8Array;
  private sink: ReadSink | undefined;
  /** Reads before a sink attached, copied (none arrive before 'connect'; kept for safety). */
  private early: Uint8Array[] = [];

  constructor(bytes: number = REUSED_READ_BUFFER_BYTES) {
    this.buffer = new Uint8Array(bytes);
  }

  /** For net.connect({ onread }). */
  get onread(): { buffer: Uint8Array; callback: (bytes: number, buffer: Uint8Array) => boolean } {
    return { buffer: this.buffer, callback: this.onRead };
  }

  /** Where reads go from now on; reads that came before are delivered first. */
  attach(sink: ReadSink): void {
    this.sink = sink;
    const early = this.early;
    this.early = [];
    for (const chunk of early) sink(chunk);
  }

  private readonly onRead = (bytes: number, buffer: Uint8Array): boolean => {
    const view = buffer.subarray(0, bytes);
    if (this.sink) return this.sink(view);
    this.early.push(view.slice());
    return true;
  };
}
