/**
 * The gRPC client call's reads at the transport level: a call on a fresh
 * connection (it waits for the session) and one on a live session (its
 * stream opens at once) read the same events, and a read after the trailer
 * fails with INTERNAL in both, for a full response and a trailers-only one.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { plainRequestHead } from "../../rpc/call-test-helpers.ts";
import { Code } from "../../rpc/code.ts";
import { Metadata } from "../../rpc/metadata.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import type { ClientCallStream, ClientReadEvent } from "../../rpc/transport.ts";
import { grpcFixture } from "./test-helpers.ts";

const head = plainRequestHead;

async function readAll(call: ClientCallStream): Promise<ClientReadEvent["type"][]> {
  const types: ClientReadEvent["type"][] = [];
  for (;;) {
    const ev = await call.read();
    types.push(ev.type);
    if (ev.type === "trailer") return types;
  }
}

async function assertReadAfterTrailerFails(call: ClientCallStream): Promise<void> {
  await assert.rejects(call.read(), (e: unknown) => {
    assert.ok(e instanceof RpcError);
    assert.equal(e.code, Code.INTERNAL);
    assert.match(e.message, /read after the trailer/);
    return true;
  });
}

test("client calls read header, message and trailer, then refuse a read after the trailer", async () => {
  const fx = grpcFixture(async (call) => {
    for (;;) if ((await call.read()).type === "end") break;
    if (call.head.path === "/x.Y/TrailersOnly") {
      await call.sendTrailer({
        status: { code: Code.NOT_FOUND, message: "no", details: [] },
        metadata: new Metadata(),
      });
      return;
    }
    await call.sendHeader({ metadata: new Metadata(), encoding: "identity", acceptEncoding: [] });
    await call.send({ data: new Uint8Array([1, 2, 3]), compressed: false });
    await call.sendTrailer({ status: { code: Code.OK, message: "", details: [] }, metadata: new Metadata() });
  });
  try {
    // The first call waits for the connection; the later ones open on the live session at once.
    for (let i = 0; i < 3; i++) {
      const call = fx.transport.openCall(head("/x.Y/Full"));
      await call.send({ data: new Uint8Array([9]), compressed: false });
      await call.closeSend();
      assert.deepEqual(await readAll(call), ["header", "message", "trailer"], `call ${i}`);
      await assertReadAfterTrailerFails(call);
      await assertReadAfterTrailerFails(call);

      const only = fx.transport.openCall(head("/x.Y/TrailersOnly"));
      await only.closeSend();
      const ev = await only.read();
      assert.equal(ev.type, "trailer");
      assert.equal(ev.type === "trailer" && ev.trailer.status.code, Code.NOT_FOUND);
      await assertReadAfterTrailerFails(only);
    }
  } finally {
    await fx.close();
  }
});
