import assert from "node:assert/strict";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http2";
import { describe, it } from "node:test";
import { Code } from "../../rpc/code.ts";
import { Metadata } from "../../rpc/metadata.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import { decodeBinaryHeader, encodeBinaryHeader } from "./binary-header.ts";
import { isGrpcContentType, parseContentType } from "./content-type.ts";
import {
  AcceptEncodingCache,
  headerListBytes,
  joinNames,
  parseAcceptEncoding,
  readMetadata,
  writeMetadata,
} from "./headers.ts";
import { codeFromHttpStatus } from "./http-status.ts";
import { codeFromRstCode, H2_CANCEL, H2_NO_ERROR, H2_REFUSED_STREAM } from "./http2-errors.ts";

describe("-bin metadata base64", () => {
  it("emits unpadded base64 and accepts padded and unpadded", () => {
    const value = new Uint8Array([0xfb, 0xff, 0x00, 0x01]);
    assert.equal(encodeBinaryHeader(value), "+/8AAQ");
    assert.deepEqual(decodeBinaryHeader("x-bin", "+/8AAQ"), value);
    assert.deepEqual(decodeBinaryHeader("x-bin", "+/8AAQ=="), value);
    assert.deepEqual(decodeBinaryHeader("x-bin", ""), new Uint8Array(0));
  });

  it("refuses text that is not base64 with INTERNAL", () => {
    for (const bad of ["a", "ab=c", "ab*d", "-_8AAQ", "abc=="]) {
      assert.throws(
        () => decodeBinaryHeader("x-bin", bad),
        (e: unknown) => e instanceof RpcError && e.code === Code.INTERNAL,
        bad,
      );
    }
  });
});

describe("metadata <-> HTTP/2 header blocks", () => {
  it("writes repeated names as arrays and binary values as base64", () => {
    const md = new Metadata()
      .append("x-a", "1")
      .append("x-a", "2")
      .set("x-b-bin", new Uint8Array([1, 2, 3]));
    const out: OutgoingHttpHeaders = {};
    writeMetadata(md, out);
    assert.deepEqual(out, { "x-a": ["1", "2"], "x-b-bin": "AQID" });
  });

  it("refuses connection-specific names HTTP/2 cannot carry", () => {
    assert.throws(
      () => writeMetadata(new Metadata({ connection: "close" }), {}),
      (e: unknown) => e instanceof RpcError && e.code === Code.INTERNAL,
    );
  });

  it("reads custom metadata, skipping pseudo-headers and the protocol's names", () => {
    const headers: IncomingHttpHeaders = {
      ":path": "/a/b",
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": "1S",
      "x-joined": "a, b",
      "x-bin": "AQID, BAU=",
      "user-agent": "grpc-node-js/1.14",
      "x-bad": "caf\u00e9",
    };
    const md = readMetadata(headers);
    assert.deepEqual([...md.keys()], ["x-joined", "x-bin", "user-agent"]);
    // An ASCII value joined by node stays one value (PROTOCOL-HTTP2 allows either).
    assert.equal(md.getString("x-joined"), "a, b");
    assert.deepEqual(md.getAll("x-bin"), [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])]);
  });

  it("counts a header list as RFC 7541 §4.1 does", () => {
    assert.equal(headerListBytes({ ab: "cde", x: ["1", "22"] }), 2 + 3 + 32 + (1 + 1 + 32) + (1 + 2 + 32));
    // node:http2 hands :status as a number; it counts as its decimal text.
    assert.equal(headerListBytes({ ":status": 200 } as unknown as IncomingHttpHeaders), 7 + 3 + 32);
  });

  it("parses grpc-accept-encoding lists", () => {
    assert.deepEqual(parseAcceptEncoding("identity, gzip,,deflate"), ["identity", "gzip", "deflate"]);
    assert.deepEqual(parseAcceptEncoding(undefined), []);
  });

  it("joins grpc-accept-encoding names, with a first name added only when missing", () => {
    assert.equal(joinNames(["gzip", "deflate"], "identity"), "identity,gzip,deflate");
    assert.equal(joinNames(["gzip", "identity"], "identity"), "gzip,identity");
    assert.equal(joinNames(["gzip"]), "gzip");
    assert.equal(joinNames([]), "");
  });

  it("AcceptEncodingCache answers a changed value or list anew, never its last answer", () => {
    const cache = new AcceptEncodingCache();
    assert.deepEqual(cache.parse("identity,gzip"), ["identity", "gzip"]);
    assert.deepEqual(cache.parse("identity,gzip"), ["identity", "gzip"]);
    assert.deepEqual(cache.parse("deflate"), ["deflate"]);
    assert.deepEqual(cache.parse(undefined), []);
    // Shared answers are frozen: a caller cannot change what the next call gets.
    assert.ok(Object.isFrozen(cache.parse("identity,gzip")));

    const names = ["gzip"];
    assert.equal(cache.join(names, "identity"), "identity,gzip");
    assert.equal(cache.join(names), "gzip");
    // The same array changed in place (same identity and length): compared by content, not identity.
    names[0] = "deflate";
    assert.equal(cache.join(names), "deflate");
    names.push("identity");
    assert.equal(cache.join(names, "identity"), "deflate,identity");
    assert.equal(cache.join(["deflate", "identity"], "identity"), "deflate,identity");
  });
});

describe("content types", () => {
  it("maps application/grpc[+proto|+json] to formats", () => {
    assert.equal(parseContentType("application/grpc"), "proto");
    assert.equal(parseContentType("application/grpc+proto"), "proto");
    assert.equal(parseContentType("Application/GRPC+json; charset=utf-8"), "json");
    assert.equal(parseContentType("application/grpc+thrift"), undefined);
    assert.equal(isGrpcContentType("application/grpc+thrift"), true);
    assert.equal(parseContentType("application/grpc-web"), undefined);
    assert.equal(parseContentType("application/json"), undefined);
    assert.equal(parseContentType(undefined), undefined);
  });
});

describe("status mappings", () => {
  it("maps HTTP status per http-grpc-status-mapping.md", () => {
    const table: [number, Code][] = [
      [400, Code.INTERNAL],
      [401, Code.UNAUTHENTICATED],
      [403, Code.PERMISSION_DENIED],
      [404, Code.UNIMPLEMENTED],
      [429, Code.UNAVAILABLE],
      [431, Code.INTERNAL],
      [502, Code.UNAVAILABLE],
      [503, Code.UNAVAILABLE],
      [504, Code.UNAVAILABLE],
      [200, Code.UNKNOWN],
      [500, Code.UNKNOWN],
    ];
    for (const [http, code] of table) assert.equal(codeFromHttpStatus(http), code, String(http));
  });

  it("maps RST_STREAM codes per PROTOCOL-HTTP2 Errors", () => {
    assert.equal(codeFromRstCode(H2_NO_ERROR), Code.INTERNAL);
    assert.equal(codeFromRstCode(1), Code.INTERNAL);
    assert.equal(codeFromRstCode(H2_REFUSED_STREAM), Code.UNAVAILABLE);
    assert.equal(codeFromRstCode(H2_CANCEL), Code.CANCELLED);
    assert.equal(codeFromRstCode(0xb), Code.RESOURCE_EXHAUSTED);
    assert.equal(codeFromRstCode(0xc), Code.PERMISSION_DENIED);
  });
});
