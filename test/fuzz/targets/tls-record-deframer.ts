/**
 * The TLS record deframer (RFC 8446 §5.1) on a hostile byte stream, cut into
 * chunks where the input says: every record it returns is within the
 * length limits, and after draining it holds less than one record.
 */

import { TlsError } from "../../../src/tls/alert.ts";
import {
  ContentType,
  MAX_CIPHERTEXT_BYTES,
  MAX_PLAINTEXT_BYTES,
  RECORD_HEADER_BYTES,
  RecordDeframer,
} from "../../../src/tls/record-layer.ts";
import { FuzzInput } from "../harness/input.ts";
import { assertBounded, check, type FuzzTarget, jazzerEntry } from "../harness/target.ts";

export const target: FuzzTarget = {
  name: "tls-record-deframer",
  description: "TLS records: [chunk size byte, ...] then the byte stream",
  typed: [TlsError],
  run(data) {
    const input = new FuzzInput(data);
    const chunkSizes = [1 + input.u8(), 1 + input.u8(), 1 + input.u8()];
    const stream = input.rest();
    const deframer = new RecordDeframer();
    for (let at = 0, i = 0; at < stream.length; i++) {
      const n = chunkSizes[i % chunkSizes.length]! * (i % 2 === 0 ? 1 : 64);
      // A copy: push() takes ownership, and the fuzzer's buffer is reused.
      deframer.push(stream.slice(at, at + n));
      at += n;
      for (let r = deframer.next(); r; r = deframer.next()) {
        const limit = r.type === ContentType.application_data ? MAX_CIPHERTEXT_BYTES : MAX_PLAINTEXT_BYTES;
        check(r.fragment.length <= limit, `record of ${r.fragment.length} bytes passed the ${limit} limit`);
      }
      assertBounded(
        "a drained record deframer",
        deframer.buffered,
        RECORD_HEADER_BYTES + MAX_CIPHERTEXT_BYTES,
      );
    }
  },
};

export const fuzz = jazzerEntry(target);
