/**
 * Writes one Length-Prefixed-Message to a node:http2 stream with
 * backpressure: returns undefined when the stream took it at once (write()
 * returned true, or the stream is already over), else a promise that
 * resolves after 'drain' or when the stream closes (the caller then reports
 * its own failure). No promise when none is needed: most messages are taken
 * at once. Large messages go as two chunks so the body is not copied.
 */
import type { Http2Stream } from "node:http2";
import type { WireMessage } from "../../rpc/transport.ts";
import { ENVELOPE_COPY_MAX_BYTES, encodeEnvelope, encodeEnvelopePrefix } from "./envelope.ts";

export function writeMessage(stream: Http2Stream, message: WireMessage): Promise<void> | undefined {
  if (stream.destroyed || stream.writableEnded) return undefined;
  let ok: boolean;
  if (message.data.length <= ENVELOPE_COPY_MAX_BYTES) ok = stream.write(encodeEnvelope(message));
  else {
    stream.cork();
    stream.write(encodeEnvelopePrefix(message));
    ok = stream.write(message.data);
    stream.uncork();
  }
  if (ok) return undefined;
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
