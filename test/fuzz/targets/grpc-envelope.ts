/**
 * The gRPC length-prefixed message reader (PROTOCOL-HTTP2 "Length-Prefixed-
 * Message") on hostile DATA bytes: it holds at most one prefix and one
 * message at the limit, and gives back exactly the bytes it was sent.
 */
import { bytesEqual, concatChunks } from "../../../src/bytes/bytes.ts";
import {
  ENVELOPE_PREFIX_BYTES,
  EnvelopeReader,
  encodeEnvelope,
} from "../../../src/protocol/grpc/envelope.ts";
import { RpcError } from "../../../src/rpc/rpc-error.ts";
import { FuzzInput } from "../harness/input.ts";
import { assertBounded, check, type FuzzTarget, jazzerEntry } from "../harness/target.ts";

export const target: FuzzTarget = {
  name: "grpc-envelope",
  description: "gRPC envelopes: [limit, chunk size] then the DATA bytes",
  typed: [RpcError],
  run(data) {
    const input = new FuzzInput(data);
    const maxMessageBytes = input.u16();
    const chunkBytes = 1 + input.u8();
    const stream = input.rest();
    const reader = new EnvelopeReader(maxMessageBytes);
    const messages = [];
    for (let at = 0; at < stream.length; at += chunkBytes) {
      messages.push(...reader.push(stream.slice(at, at + chunkBytes)));
      assertBounded("an envelope reader", reader.bufferedBytes, ENVELOPE_PREFIX_BYTES + maxMessageBytes);
    }
    reader.end();
    // The stream ended on a message boundary: its messages re-encode to exactly the input.
    check(
      bytesEqual(concatChunks(messages.map(encodeEnvelope)), stream),
      "envelopes do not re-encode to the stream",
    );
  },
};

export const fuzz = jazzerEntry(target);
