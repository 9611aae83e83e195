/**
 * Writes one Length-Prefixed-Message to a node:http2 stream with
 * backpressure: resolves once the stream took it (write() returned true) or
 * after 'drain', or when the stream closes (the caller then reports its own
 * failure). Large messages go as two chunks so the body is not copied.
 */
import type { Http2Stream } from "node:http2";
import type { WireMessage } from "../../rpc/transport.ts";
import { ENVELOPE_COPY_MAX_BYTES, encodeEnvelope, encodeEnvelopePrefix } from "./envelope.ts";

export function writeMessage(stream: Http2Stream, message: WireMessage): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return Promise.resolve();
  let ok: boolean;
  if (message.data.length <= ENVELOPE_COPY_MAX_BYTES) ok = stream.write(encodeEnvelope(message));
  else {
    stream.cork();
    stream.write(encodeEnvelopePrefix(message));
    ok = stream.write(message.data);
    stream.uncork();
  }
  if (ok) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
