import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http2";
import { describe, it } from "node:test";
import { Code } from "../../rpc/code.ts";
import { Metadata } from "../../rpc/metadata.ts";
import { hasStatus, readStatus, readTrailer, writeTrailer } from "./trailer-status.ts";

/** What node:http2 hands the receiver for what the sender wrote (single values as strings). */
function received(out: Record<string, unknown>): IncomingHttpHeaders {
  return Object.fromEntries(
    Object.entries(out).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)]),
  );
}

describe("trailers <-> status", () => {
  it("round-trips code, percent-encoded message, details and trailing metadata", () => {
    const details = [{ type: "google.rpc.RetryInfo", value: new Uint8Array([0x0a, 0x02, 0x08, 0x05]) }];
    const out = writeTrailer({
      status: { code: Code.FAILED_PRECONDITION, message: "no 100% ☺", details },
      metadata: new Metadata({ "x-t": "v", "x-t-bin": new Uint8Array([7]) }),
    });
    assert.equal(out["grpc-status"], "9");
    assert.equal(out["grpc-message"], "no 100%25 %E2%98%BA");
    assert.equal(typeof out["grpc-status-details-bin"], "string");
    const back = readTrailer(received(out));
    assert.equal(back.status.code, Code.FAILED_PRECONDITION);
    assert.equal(back.status.message, "no 100% ☺");
    assert.deepEqual(back.status.details, details);
    assert.equal(back.metadata.getString("x-t"), "v");
    assert.deepEqual(back.metadata.getBinary("x-t-bin"), new Uint8Array([7]));
    assert.equal(back.metadata.has("grpc-status"), false);
  });

  it("sends grpc-status even for OK, without grpc-message when empty", () => {
    const out = writeTrailer({
      status: { code: Code.OK, message: "", details: [] },
      metadata: new Metadata(),
    });
    assert.deepEqual(out, { "grpc-status": "0" });
    assert.equal(hasStatus(received(out)), true);
    assert.equal(hasStatus({}), false);
  });

  it("reads an unknown code as UNKNOWN and a malformed one as INTERNAL", () => {
    assert.equal(readStatus({ "grpc-status": "99" }).code, Code.UNKNOWN);
    for (const bad of ["", "01", "-1", "1x", "12345678901"]) {
      assert.equal(readStatus({ "grpc-status": bad }).code, Code.INTERNAL, bad);
    }
  });

  it("turns malformed grpc-status-details-bin into INTERNAL that names the original status", () => {
    const s = readStatus({ "grpc-status": "5", "grpc-message": "gone", "grpc-status-details-bin": "!!" });
    assert.equal(s.code, Code.INTERNAL);
    assert.match(s.message, /status 5: gone/);
    // Valid base64 of bytes that are not a google.rpc.Status.
    assert.equal(readStatus({ "grpc-status": "5", "grpc-status-details-bin": "/w" }).code, Code.INTERNAL);
  });
});
