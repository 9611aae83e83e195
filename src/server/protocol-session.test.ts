import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ALPN_PQRPC_1 } from "../protocol/frames/index.ts";
import type { CallHandler } from "../rpc/transport.ts";
import { createMemoryPair } from "../transport/memory-pair.ts";
import type { TlsSocket } from "../transport/tls-socket.ts";
import { createServerProtocols } from "./protocol-session.ts";

const handle: CallHandler = async () => {};
const peer = { address: "test" };
/** A connection whose handshake agreed on `alpn` (the engine is not needed to pick a protocol). */
function secured(alpn: string | undefined): TlsSocket {
  const [a] = createMemoryPair();
  return Object.assign(a, { info: alpn === undefined ? {} : { alpn } }) as unknown as TlsSocket;
}

describe("server protocol sessions", () => {
  it("picks the protocol by ALPN, and refuses a connection with neither", () => {
    const protocols = createServerProtocols(handle);
    assert.equal(protocols.serve(secured("spdy/3"), peer), undefined);
    assert.equal(protocols.serve(secured(undefined), peer), undefined);
  });

  it("a pqrpc/1 session ends on destroy(), and reports how it ended", async () => {
    const errors: Error[] = [];
    const protocols = createServerProtocols(handle, { onConnectionError: (e) => errors.push(e) });
    const session = protocols.serve(secured(ALPN_PQRPC_1), peer);
    assert.equal(session?.protocol, ALPN_PQRPC_1);
    session!.destroy();
    await session!.closed;
    assert.ok(errors.length <= 1);
  });

  it("an h2 session ends on destroy()", async () => {
    const session = createServerProtocols(handle).serve(secured("h2"), peer);
    assert.equal(session?.protocol, "h2");
    session!.destroy();
    await session!.closed;
  });
});
