import assert from "node:assert/strict";
import { test } from "node:test";
import type { CertifiedKey, PeerVerifier } from "../pki/types.ts";
import { ServerError } from "./errors.ts";
import type { ServerOptions } from "./server-options.ts";
import { validateGraceMs, validateServerOptions } from "./validate-options.ts";

const identity = {} as CertifiedKey;
const trust = {} as PeerVerifier;
const badOptions = (e: unknown) => e instanceof ServerError && e.code === "bad-options";

test("good options pass", () => {
  const good: ServerOptions[] = [
    { identity },
    { identity: [identity, identity] },
    { identity, maxConnections: 1, handshakeTimeoutMs: 1 },
    { identity, alpn: ["pqrpc/1"] },
    { identity, alpn: ["pqrpc/1", "h2"], webSocket: { path: "/pqrpc/v1" } },
    { identity, webSocket: false },
    { identity, webSocket: { path: undefined } },
    { identity, clientAuth: "require", trust },
    { identity, clientAuth: "none" },
    {
      identity,
      maxConnectionsPerSource: 1,
      maxConcurrentHandshakes: 1,
      firstByteTimeoutMs: 1,
      receiveBudget: { maxConnectionBytes: 0, maxServerBytes: 1 },
      http2: {
        maxConcurrentStreams: 1,
        streamWindowBytes: 2 ** 31 - 1,
        idleTimeoutMs: 0,
        prefaceTimeoutMs: 1,
      },
    },
  ];
  for (const o of good) validateServerOptions(o);
  validateGraceMs(0);
  validateGraceMs(60_000);
});

test("each bad option is a ServerError bad-options that names it", () => {
  const cases: [Partial<ServerOptions>, RegExp][] = [
    [{ identity: [] }, /identity/],
    [{ identity: undefined }, /identity/],
    [{ maxConnections: 0 }, /maxConnections/],
    [{ maxConnections: 1.5 }, /maxConnections/],
    [{ maxConnectionsPerSource: 0 }, /maxConnectionsPerSource/],
    [{ maxConcurrentHandshakes: Number.NaN }, /maxConcurrentHandshakes/],
    [{ firstByteTimeoutMs: 0 }, /firstByteTimeoutMs/],
    [{ receiveBudget: { maxServerBytes: -1 } }, /receiveBudget\.maxServerBytes/],
    [{ http2: { maxConcurrentStreams: 0 } }, /http2\.maxConcurrentStreams/],
    [{ http2: { streamWindowBytes: 2 ** 31 } }, /http2\.streamWindowBytes/],
    [{ http2: { idleTimeoutMs: -1 } }, /http2\.idleTimeoutMs/],
    [{ handshakeTimeoutMs: 0 }, /handshakeTimeoutMs/],
    [{ handshakeTimeoutMs: Number.NaN }, /handshakeTimeoutMs/],
    [{ handshakeTimeoutMs: 2 ** 31 }, /handshakeTimeoutMs/],
    [{ alpn: [] }, /alpn/],
    [{ alpn: ["h3" as "h2"] }, /alpn: unknown protocol "h3"/],
    [{ alpn: ["h2", "h2"] }, /twice/],
    [{ webSocket: { path: "pqrpc" } }, /webSocket.path/],
    [{ webSocket: { path: "/a b" } }, /webSocket.path/],
    [{ webSocket: { path: "/a?b" } }, /webSocket.path/],
    [{ clientAuth: "optional" as "request" }, /clientAuth/],
    [{ clientAuth: "request" }, /needs trust/],
  ];
  for (const [o, message] of cases) {
    assert.throws(
      () => validateServerOptions({ identity, ...o } as ServerOptions),
      (e: unknown) => badOptions(e) && message.test((e as Error).message),
      JSON.stringify(o),
    );
  }
  for (const g of [-1, 0.5, Number.POSITIVE_INFINITY, 2 ** 31])
    assert.throws(() => validateGraceMs(g), badOptions);
});
