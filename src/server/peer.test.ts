import assert from "node:assert/strict";
import { test } from "node:test";
import type { NegotiatedInfo } from "../tls/index.ts";
import type { TlsSocket } from "../transport/tls-socket.ts";
import { peerOf } from "./peer.ts";

const info: NegotiatedInfo = {
  version: "TLSv1.3",
  cipherSuite: "TLS_AES_256_GCM_SHA384",
  group: "X25519MLKEM768",
  signatureScheme: "ml-dsa-65",
  alpn: "h2",
  resumed: false,
  helloRetry: false,
  peerCertificates: [Uint8Array.of(0x30)],
  clientAuthenticated: true,
};
const socket = (s: object) => s as unknown as TlsSocket;

test("the peer's address comes from the socket, else from its carrier (TCP under TLS, or under a WebSocket)", () => {
  assert.equal(
    peerOf(socket({ remoteAddress: "203.0.113.5", remotePort: 52100 })).address,
    "203.0.113.5:52100",
  );
  assert.equal(
    peerOf(socket({ carrier: { remoteAddress: "2001:db8::1", remotePort: 443 } })).address,
    "[2001:db8::1]:443",
  );
  assert.equal(peerOf(socket({ carrier: {} })).address, "unknown");
});

test("the TLS facts are the handshake's: group, suite, scheme, ALPN, resumption, verified chain", () => {
  const peer = peerOf(socket({ remoteAddress: "127.0.0.1", remotePort: 1, info }));
  assert.deepEqual(peer.tls, {
    alpn: "h2",
    group: "X25519MLKEM768",
    cipherSuite: "TLS_AES_256_GCM_SHA384",
    signatureScheme: "ml-dsa-65",
    resumed: false,
    certificates: [Uint8Array.of(0x30)],
  });
  assert.equal(peerOf(socket({ remoteAddress: "127.0.0.1" })).tls, undefined, "no handshake, no TLS facts");
});
