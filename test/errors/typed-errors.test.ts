import assert from "node:assert/strict";
import { test } from "node:test";
import { CryptoError } from "../../src/crypto/types.ts";
import { CodedError } from "../../src/errors/coded-error.ts";
import { PkiError } from "../../src/pki/types.ts";
import { FrameError } from "../../src/protocol/frames/error-codes.ts";
import { StreamError } from "../../src/protocol/frames/stream-error.ts";
import { Code } from "../../src/rpc/code.ts";
import { MetadataError } from "../../src/rpc/metadata.ts";
import { RpcError } from "../../src/rpc/rpc-error.ts";
import { StatusDecodeError } from "../../src/rpc/status-details.ts";
import { TlsError } from "../../src/tls/alert.ts";
import { TlsConfigError } from "../../src/tls/config.ts";
import { TransportError } from "../../src/transport/errors.ts";

test("every typed error is a CodedError with its own name, code, message and instanceof", () => {
  const cause = new Error("inner");
  const cases: [
    CodedError<string | number>,
    abstract new (...args: never[]) => Error,
    string,
    string | number,
  ][] = [
    [new CryptoError("invalid-input", "m"), CryptoError, "CryptoError", "invalid-input"],
    [new PkiError("expired", "m"), PkiError, "PkiError", "expired"],
    [new TransportError("truncated", "m"), TransportError, "TransportError", "truncated"],
    [new MetadataError("ERR_METADATA_NAME", "m"), MetadataError, "MetadataError", "ERR_METADATA_NAME"],
    [new StatusDecodeError("m"), StatusDecodeError, "StatusDecodeError", "ERR_STATUS_DETAILS"],
    [new TlsConfigError("m"), TlsConfigError, "TlsConfigError", "bad-config"],
    [new TlsError(50, "local", "m"), TlsError, "TlsError", "decode_error"],
    [new FrameError(1, "m"), FrameError, "FrameError", 1],
    [new StreamError(8, "reset-by-peer"), StreamError, "StreamError", 8],
    [new RpcError(Code.NOT_FOUND, "m", { cause }), RpcError, "RpcError", Code.NOT_FOUND],
  ];
  for (const [error, type, name, code] of cases) {
    assert.ok(error instanceof type, name);
    assert.ok(error instanceof CodedError, name);
    assert.ok(error instanceof Error, name);
    assert.equal(error.name, name);
    assert.equal(error.code, code, name);
    assert.match(String(error), new RegExp(`^${name}: `), "toString names the class");
    assert.match(error.stack ?? "", new RegExp(`^${name}: `), "the stack names the class");
  }
  for (const [a, typeA] of cases)
    for (const [, typeB] of cases)
      if (typeA !== typeB) assert.ok(!(a instanceof typeB), `${a.name} vs ${typeB.name}`);
  assert.equal(cases.at(-1)![0].cause, cause);
});
