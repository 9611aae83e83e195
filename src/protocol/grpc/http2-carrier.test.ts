import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { Metadata } from "../../rpc/metadata.ts";
import { http2Carrier } from "./http2-carrier.ts";
import { grpcFixture } from "./test-helpers.ts";

test("http2Carrier turns off write packing on a carrier that has it, and leaves others alone", () => {
  const packing = Object.assign(new PassThrough(), { packWrites: true });
  assert.equal(http2Carrier(packing), packing);
  assert.equal(packing.packWrites, false);
  const plain = new PassThrough();
  http2Carrier(plain);
  assert.equal("packWrites" in plain, false);
});

test("both ends of a gRPC connection over our TLS keep one record per write", async () => {
  const fx = grpcFixture(async (call) => {
    await call.sendTrailer({ status: { code: 0, message: "", details: [] }, metadata: new Metadata() });
  });
  try {
    const call = fx.transport.openCall({
      path: "/x.Y/Z",
      metadata: new Metadata(),
      timeoutMs: undefined,
      format: "proto",
      encoding: "identity",
      acceptEncoding: [],
    });
    await call.closeSend();
    let event = await call.read();
    while (event.type !== "trailer") event = await call.read();
    assert.ok(fx.clientSockets.length > 0 && fx.serverSockets.length > 0);
    for (const s of [...fx.clientSockets, ...fx.serverSockets]) assert.equal(s.packWrites, false);
  } finally {
    await fx.close();
  }
});
