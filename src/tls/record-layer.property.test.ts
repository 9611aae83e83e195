/**
 * open(deframe(seal(x))) = x for the record layer (RFC 8446 §5.1-§5.4): any
 * content type that may be protected, any content and padding within the
 * limits, every suite, over a run of records (so the per-record nonces of
 * §5.3 advance in step on both sides), and any cut of the byte stream.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { concatChunks } from "../bytes/bytes.ts";
import { CIPHER_SUITES } from "../crypto/registry.ts";
import { defaultCrypto } from "../crypto/select.ts";
import { ContentType, MAX_INNER_PLAINTEXT_BYTES, RecordDeframer, RecordProtector } from "./record-layer.ts";

const crypto = defaultCrypto();

const record = fc
  .record(
    {
      type: fc.constantFrom(ContentType.application_data, ContentType.handshake, ContentType.alert),
      content: fc.uint8Array({ minLength: 0, maxLength: 3000 }),
      padding: fc.integer({ min: 0, max: 300 }),
    },
    { noNullPrototype: true },
  )
  // §5.4: handshake and alert content is never empty; content + type + padding fits 2^14 + 1.
  .filter(
    (r) =>
      (r.content.length > 0 || r.type === ContentType.application_data) &&
      r.content.length + 1 + r.padding <= MAX_INNER_PLAINTEXT_BYTES,
  );

test("sealed records open to their content type and bytes, in order, however the stream is cut", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...CIPHER_SUITES),
      fc.uint8Array({ minLength: 48, maxLength: 48 }),
      fc.array(record, { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 5000 }),
      (suite, secretBytes, records, cut) => {
        const secret = secretBytes.subarray(0, suite.hash === "sha384" ? 48 : 32);
        const sealer = new RecordProtector(crypto, suite, secret);
        const opener = new RecordProtector(crypto, suite, secret);
        const wire = concatChunks(records.map((r) => sealer.seal(r.type, r.content, r.padding)));
        const deframer = new RecordDeframer();
        const opened: { type: number; content: Uint8Array }[] = [];
        for (let at = 0; at < wire.length; at += cut) {
          deframer.push(wire.slice(at, at + cut));
          for (let r = deframer.next(); r; r = deframer.next()) {
            const { type, content } = opener.open(r);
            opened.push({ type, content: content.slice() });
          }
        }
        assert.deepStrictEqual(
          opened,
          records.map((r) => ({ type: r.type, content: r.content })),
        );
        assert.equal(opener.sequence, BigInt(records.length));
      },
    ),
    { numRuns: 100 },
  );
});
