/**
 * decode(encode(x)) = x for gRPC length-prefixed messages (PROTOCOL-HTTP2
 * "Length-Prefixed-Message") with the DATA bytes cut anywhere, and for
 * metadata on both wire protocols: `-bin` values through base64 (padded and
 * unpadded, split on ","), text values as they are, in order per name.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { concatChunks } from "../../bytes/bytes.ts";
import { Metadata, type MetadataValue } from "../../rpc/metadata.ts";
import type { HeaderField } from "../frames/header-field.ts";
import { appendMetadata, metadataOf } from "../frames/headers.ts";
import { decodeBinaryHeader, encodeBinaryHeader } from "./binary-header.ts";
import { EnvelopeReader, encodeEnvelope } from "./envelope.ts";
import { isProtocolName, readMetadata, writeMetadata } from "./headers.ts";

test("envelopes decode to the messages encoded, however the stream is cut", () => {
  const message = fc.record(
    { data: fc.uint8Array({ maxLength: 3000 }), compressed: fc.boolean() },
    { noNullPrototype: true },
  );
  fc.assert(
    fc.property(fc.array(message, { maxLength: 10 }), fc.integer({ min: 1, max: 4000 }), (messages, cut) => {
      const wire = concatChunks(messages.map(encodeEnvelope));
      const reader = new EnvelopeReader(3000);
      const out = [];
      for (let at = 0; at < wire.length; at += cut) out.push(...reader.push(wire.slice(at, at + cut)));
      reader.end();
      assert.deepStrictEqual(
        out.map((m) => ({ data: Uint8Array.from(m.data), compressed: m.compressed })),
        messages,
      );
    }),
    { numRuns: 300 },
  );
});

test("binary header values round-trip through base64, padded or not", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (value) => {
      const text = encodeBinaryHeader(value);
      assert.ok(!text.endsWith("="), "emitted unpadded (PROTOCOL-HTTP2)");
      assert.deepStrictEqual(decodeBinaryHeader("x-bin", text), value);
      const padded = text + "=".repeat((4 - (text.length % 4)) % 4);
      assert.deepStrictEqual(decodeBinaryHeader("x-bin", padded), value);
    }),
    { numRuns: 500 },
  );
});

// Names HTTP/2 or gRPC own ("te", "host", "connection"...) are refused by writeMetadata, not carried.
const textName = fc
  .stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/)
  .filter((n) => !n.endsWith("-bin") && !isProtocolName(n));
const binName = fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,16}$/).map((n) => `${n}-bin`);
/** Text values as Metadata keeps them: printable ASCII without surrounding space (HTTP trims it). */
const textValue = fc.stringMatching(/^([\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?)?$/);
const entries = fc.array(
  fc.oneof(fc.tuple(textName, textValue), fc.tuple(binName, fc.uint8Array({ maxLength: 40 }))),
  { maxLength: 12 },
);
/** Per name, in order (header objects order integer-like names first, so names are compared sorted). */
const asPlain = (md: Metadata) =>
  [...md.keys()]
    .sort()
    .map((k) => [k, md.getAll(k).map((v: MetadataValue) => (typeof v === "string" ? v : Array.from(v)))]);

test("metadata round-trips through HTTP/2 headers and pqrpc/1 header fields", () => {
  fc.assert(
    fc.property(entries, (list) => {
      const md = new Metadata(list as [string, MetadataValue][]);
      const headers: Record<string, string | string[]> = {};
      writeMetadata(md, headers);
      // node:http2 hands repeated fields joined with ", "; binary values split on "," (PROTOCOL-HTTP2).
      const received = Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [
          k,
          Array.isArray(v) && k.endsWith("-bin") ? v.join(",") : v,
        ]),
      );
      assert.deepStrictEqual(asPlain(readMetadata(received)), asPlain(md));
      const fields: HeaderField[] = [];
      appendMetadata(fields, md);
      assert.deepStrictEqual(asPlain(metadataOf(fields)), asPlain(md));
    }),
    { numRuns: 300 },
  );
});
