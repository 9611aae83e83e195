import assert from "node:assert/strict";
import { once } from "node:events";
import http2 from "node:http2";
import { createServer, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { after, describe, it } from "node:test";
import { defaultCrypto } from "../crypto/select.ts";
import { createDevelopmentPki } from "../pki/development-pki.ts";
import { createVerifier } from "../pki/trust-store.ts";
import { TlsError } from "../tls/alert.ts";
import type { TlsClientConfig, TlsServerConfig } from "../tls/index.ts";
import { TransportError } from "./errors.ts";
import { createMemoryPair } from "./memory-pair.ts";
import { connectTls, tlsAccept, tlsConnect } from "./tls-connect.ts";
import type { TlsSocket } from "./tls-socket.ts";

const crypto = defaultCrypto();
const pki = createDevelopmentPki({ algorithm: "ml-dsa-65", crypto });
const otherPki = createDevelopmentPki({ algorithm: "ml-dsa-65", crypto });

function clientOptions(extra: Partial<TlsClientConfig> = {}): TlsClientConfig {
  return {
    crypto,
    serverName: "localhost",
    verifier: createVerifier({ roots: pki.ca.certificate, crypto }),
    ...extra,
  };
}

function serverOptions(extra: Partial<TlsServerConfig> = {}): TlsServerConfig {
  return { crypto, certificate: pki.server.certifiedKey, ...extra };
}

async function connectedPair(
  client: Partial<TlsClientConfig> = {},
  server: Partial<TlsServerConfig> = {},
  highWaterMark?: number,
): Promise<{ c: TlsSocket; s: TlsSocket; carriers: [Duplex, Duplex] }> {
  const [a, b] = createMemoryPair();
  const [c, s] = await Promise.all([
    tlsConnect(a, { ...clientOptions(client), ...(highWaterMark ? { highWaterMark } : {}) }),
    tlsAccept(b, { ...serverOptions(server), ...(highWaterMark ? { highWaterMark } : {}) }),
  ]);
  return { c, s, carriers: [a, b] };
}

async function readAll(stream: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("TlsSocket over an in-memory pair", () => {
  it("handshakes, reports the negotiated parameters, and carries data both ways", async () => {
    const [a, b] = createMemoryPair();
    const client = tlsConnect(a, clientOptions({ alpnProtocols: ["pqrpc/1"] }));
    const server = tlsAccept(b, serverOptions({ alpnProtocols: ["h2", "pqrpc/1"] }));
    const [c, s] = await Promise.all([client, server]);
    assert.equal(c.info?.version, "TLSv1.3");
    assert.equal(c.info?.group, "X25519MLKEM768");
    assert.equal(c.info?.alpn, "pqrpc/1");
    assert.equal(c.alpnProtocol, "pqrpc/1");
    assert.equal(s.alpnProtocol, "pqrpc/1");
    assert.equal(c.encrypted, true);
    assert.deepEqual(await c.secured, c.info);

    c.end("ping from client");
    s.on("data", (d: Buffer) => s.write(Buffer.concat([Buffer.from("echo: "), d])));
    s.on("end", () => s.end());
    assert.equal((await readAll(c)).toString(), "echo: ping from client");
    if (!s.closed) await once(s, "close");
    assert.equal(s.destroyed, true);
  });

  it("end() sends close_notify: the peer's readable side ends, and the peer may still answer (half-close)", async () => {
    const { c, s } = await connectedPair({}, {});
    c.end();
    s.resume();
    await once(s, "end");
    assert.equal(s.connection.peerClosed, true);
    // allowHalfOpen is false by default: the server ended its side in turn.
    assert.equal((await readAll(c)).length, 0);
  });

  it("applies backpressure both ways: a non-reading peer stalls the writer with bounded buffering", async () => {
    const HWM = 16 * 1024;
    const { c, s } = await connectedPair({}, {}, HWM);
    const chunk = Buffer.alloc(8 * 1024, 7);
    let written = 0;
    // Nobody reads on the client side: writes must start returning false well before 1 MiB.
    while (s.write(chunk)) {
      written += chunk.length;
      assert.ok(written < 1024 * 1024, `wrote ${written} bytes without backpressure`);
    }
    written += chunk.length;
    // Let the pipeline settle, then check nothing grows without bound.
    await new Promise((r) => setTimeout(r, 50));
    // Everything written so far sits in the bounded buffers (records add a little overhead).
    const buffered =
      c.readableLength + c.carrier.readableLength + s.writableLength + s.carrier.writableLength;
    assert.ok(buffered < 512 * 1024, `buffered ${buffered} bytes`);
    // Now read: everything arrives intact, in order.
    const total = 4 * 1024 * 1024;
    const writer = (async () => {
      let sent = written;
      await once(s, "drain");
      while (sent < total) {
        sent += chunk.length;
        if (!s.write(chunk)) await once(s, "drain");
      }
      s.end();
    })();
    let got = 0;
    for await (const d of c) {
      got += (d as Buffer).length;
      assert.ok((d as Buffer).every((x) => x === 7));
    }
    await writer;
    assert.equal(got, total);
  });

  it("rejects a server the client does not trust with a TlsError, on both sides", async () => {
    const [a, b] = createMemoryPair();
    const client = tlsConnect(
      a,
      clientOptions({ verifier: createVerifier({ roots: otherPki.ca.certificate, crypto }) }),
    );
    const server = tlsAccept(b, serverOptions());
    const [cr, sr] = await Promise.allSettled([client, server]);
    assert.equal(cr.status, "rejected");
    const ce = (cr as PromiseRejectedResult).reason as TlsError;
    assert.ok(ce instanceof TlsError, String(ce));
    assert.equal(ce.alertName, "unknown_ca");
    assert.equal(ce.origin, "local");
    assert.equal(sr.status, "rejected");
    const se = (sr as PromiseRejectedResult).reason as TlsError;
    assert.ok(se instanceof TlsError, String(se));
    assert.equal(se.alertName, "unknown_ca");
    assert.equal(se.origin, "peer");
  });

  it("treats a carrier that ends without close_notify as truncation", async () => {
    const { c, s, carriers } = await connectedPair();
    s.on("error", () => {}); // the server sees its carrier reset afterwards
    const error = once(c, "error");
    carriers[1].end();
    const [e] = (await error) as [TransportError];
    assert.ok(e instanceof TransportError);
    assert.equal(e.code, "truncated");
  });

  it("fails a handshake that does not finish in time", async () => {
    const [a] = createMemoryPair(); // nobody answers
    // The handshake timer is unref'd (a real socket keeps the process alive; a memory pair does not).
    const keepAlive = setTimeout(() => {}, 5_000);
    after(() => clearTimeout(keepAlive));
    await assert.rejects(
      tlsConnect(a, { ...clientOptions(), handshakeTimeoutMs: 50 }),
      (e: unknown) => e instanceof TransportError && e.code === "handshake-timeout",
    );
    assert.equal(a.destroyed, true);
  });

  it("fails a handshake whose carrier closes, and an aborted one", async () => {
    const [a, b] = createMemoryPair();
    const pending = tlsConnect(a, clientOptions());
    b.destroy();
    await assert.rejects(
      pending,
      (e: unknown) => e instanceof TransportError && e.code === "closed-during-handshake",
    );
    const [x] = createMemoryPair();
    const ac = new AbortController();
    const aborted = tlsConnect(x, { ...clientOptions(), signal: ac.signal });
    ac.abort();
    await assert.rejects(aborted, (e: unknown) => e instanceof TransportError && e.code === "aborted");
  });

  it("holds writes made before the handshake completes and sends them after", async () => {
    const [a, b] = createMemoryPair();
    const { TlsSocket } = await import("./tls-socket.ts");
    const { createTlsClient } = await import("../tls/index.ts");
    const early = new TlsSocket(createTlsClient(clientOptions()), a);
    early.write("written before secure");
    early.end();
    const s = await tlsAccept(b, serverOptions());
    s.on("end", () => s.end());
    assert.equal((await readAll(s)).toString(), "written before secure");
  });
});

describe("TlsSocket as the transport of node:http2", () => {
  it("serves an h2 request over the pqrpc TLS engine", async () => {
    const server = http2.createServer();
    server.on("stream", (stream, headers) => {
      stream.respond({ ":status": 200, "content-type": "text/plain" });
      stream.end(`hello ${headers[":path"]}`);
    });
    const [a, b] = createMemoryPair();
    const [c, s] = await Promise.all([
      tlsConnect(a, clientOptions({ alpnProtocols: ["h2"] })),
      tlsAccept(b, serverOptions({ alpnProtocols: ["h2"] })),
    ]);
    server.emit("connection", s);
    const session = http2.connect("https://localhost", { createConnection: () => c });
    try {
      const req = session.request({ ":path": "/pq" });
      // Listen for everything at once: on Node 24 the body may be delivered before 'response'.
      const response = once(req, "response") as Promise<[http2.IncomingHttpHeaders]>;
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (d: string) => {
        body += d;
      });
      await once(req, "end");
      const [headers] = await response;
      assert.equal(headers[":status"], 200);
      assert.equal(body, "hello /pq");
      // node:http2 wraps a stream that is not a native socket in its JSStreamSocket, which hides our
      // `encrypted`/`alpnProtocol`: the session reports "h2c" although every byte went through TLS.
      // The negotiated parameters are on the TlsSocket.
      assert.equal(c.alpnProtocol, "h2");
      assert.ok(c.connection.handshakeComplete);
    } finally {
      session.close();
      server.close();
    }
  });
});

describe("connectTls over loopback TCP", () => {
  const sockets: Socket[] = [];
  after(() => {
    for (const s of sockets) s.destroy();
  });

  it("connects, echoes and closes", async () => {
    const server = createServer((tcp) => {
      sockets.push(tcp);
      tlsAccept(tcp, serverOptions()).then(
        (s) => {
          s.pipe(s);
        },
        () => tcp.destroy(),
      );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    try {
      const c = await connectTls("127.0.0.1", port, clientOptions());
      assert.equal(c.info?.group, "X25519MLKEM768");
      c.end("over tcp");
      assert.equal((await readAll(c)).toString(), "over tcp");
    } finally {
      server.close();
    }
  });
});
