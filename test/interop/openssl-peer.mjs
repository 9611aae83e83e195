/**
 * The real peer of the interop tests: Node 24's `tls` module, that is
 * OpenSSL 3.5, as a TLS 1.3 server or client, configured by one JSON argument
 * and reporting JSON lines on stdout (one event per line). Run it with Node 24:
 *
 *   node openssl-peer.mjs '{"role":"server","ecdhCurve":"X25519MLKEM768","cert":"server.pem",...}'
 *
 * Config (all optional except role; paths are PEM files):
 *   role: "server" | "client"
 *   host ("127.0.0.1"), port (client: required; server: 0 = any)
 *   ecdhCurve (OpenSSL groups list, e.g. "X25519MLKEM768:X25519"; "*" marks key shares),
 *   ciphersuites ("TLS_AES_128_GCM_SHA256:..."), sigalgs,
 *   cert, key, ca, requestCert, rejectUnauthorized (default true), alpn: string[],
 *   servername (client SNI), connections (client: how many, one after another; default 1),
 *   resume (client: connection i>0 offers the session ticket of connection i-1),
 *   send (client: text to send; the echo is awaited), tap (default true: observe the wire)
 *
 * Events: ready, listening {port}, secure {...negotiated parameters}, data {text},
 * session {index}, peer-end {index}, closed {index, wire}, error {index, code, message},
 * late-error (an error after the peer's end), done.
 * The server echoes application data back and half-closes when the peer does.
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { tapSocket } from "./wire-tap.mjs";

/** Longest a client waits for its echo or session ticket; the harness has its own outer timeouts. */
const CLIENT_STEP_TIMEOUT_MS = 10_000;

const config = JSON.parse(process.argv[2] ?? "{}");

function emit(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

const read = (path) => (path ? readFileSync(path) : undefined);

function tlsOptions() {
  const o = { minVersion: "TLSv1.3", maxVersion: "TLSv1.3" };
  if (config.ecdhCurve) o.ecdhCurve = config.ecdhCurve;
  // Node takes TLS 1.3 suites (the TLS_* names) in `ciphers`; it has no `ciphersuites` option.
  if (config.ciphersuites) o.ciphers = config.ciphersuites;
  if (config.sigalgs) o.sigalgs = config.sigalgs;
  if (config.cert) o.cert = read(config.cert);
  if (config.key) o.key = read(config.key);
  if (config.ca) o.ca = read(config.ca);
  if (config.alpn) o.ALPNProtocols = config.alpn;
  o.rejectUnauthorized = config.rejectUnauthorized ?? true;
  return o;
}

function subject(cert) {
  if (!cert?.subject) return undefined;
  return { ...cert.subject };
}

/** What this side negotiated, as OpenSSL reports it. */
function describe(socket, side, index, summary) {
  const eph = side === "client" ? socket.getEphemeralKeyInfo() : null;
  return {
    side,
    index,
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.standardName,
    // OpenSSL names the group only on the client (getEphemeralKeyInfo); the wire tap names it on both.
    group: eph?.name ?? summary?.serverHello?.group,
    ephemeral: eph ?? undefined,
    alpn: socket.alpnProtocol || undefined,
    reused: socket.isSessionReused(),
    authorized: socket.authorized,
    authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
    peerSubject: subject(socket.getPeerCertificate()),
    servername: side === "server" ? socket.servername || undefined : undefined,
    sharedSigalgs: socket.getSharedSigalgs(),
  };
}

function errorFields(e) {
  return { code: e?.code, message: String(e?.message ?? e), reason: e?.reason, library: e?.library };
}

/**
 * The raw stream under a server TLSSocket. Node keeps it only on internals
 * (TLSWrap -> JSStreamSocket -> stream); this is a test peer, and a miss only
 * loses the wire summary of that event (reported as index -1), never the test.
 */
function rawStreamOf(tlsSocket) {
  return tlsSocket._handle?._parentWrap?.stream;
}

function runServer() {
  const server = tls.createServer({ ...tlsOptions(), requestCert: config.requestCert ?? false });
  let next = 0;
  server.on("secureConnection", (socket) => {
    const raw = rawStreamOf(socket);
    const index = raw?.pqIndex ?? -1;
    emit("secure", describe(socket, "server", index, raw?.pqSummary));
    let peerEnded = false;
    socket.on("data", (d) => socket.write(d));
    socket.on("end", () => {
      peerEnded = true;
      emit("peer-end", { index });
      socket.end();
    });
    // After the peer's FIN, OpenSSL may still fail to write (EPIPE): report it apart from real errors.
    socket.on("error", (e) => emit(peerEnded ? "late-error" : "error", { index, ...errorFields(e) }));
  });
  server.on("tlsClientError", (e, socket) => {
    emit("error", { index: rawStreamOf(socket)?.pqIndex ?? -1, ...errorFields(e) });
  });
  const listener = net.createServer((raw) => {
    const index = next++;
    raw.on("error", () => {});
    if (config.tap === false) {
      raw.on("close", () =>
        emit("closed", { index, bytesRead: raw.bytesRead, bytesWritten: raw.bytesWritten }),
      );
      server.emit("connection", raw);
      return;
    }
    const { duplex, summary } = tapSocket(raw, "server");
    duplex.pqIndex = index;
    duplex.pqSummary = summary;
    raw.on("close", () =>
      emit("closed", { index, bytesRead: raw.bytesRead, bytesWritten: raw.bytesWritten, wire: summary }),
    );
    server.emit("connection", duplex);
  });
  listener.listen(config.port ?? 0, config.host ?? "127.0.0.1", () => {
    emit("listening", { port: listener.address().port });
  });
  process.on("SIGTERM", () => process.exit(0));
}

function withTimeout(promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), CLIENT_STEP_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function clientConnection(index, session) {
  const raw = net.connect(config.port, config.host ?? "127.0.0.1");
  await withTimeout(new Promise((res, rej) => raw.once("connect", res).once("error", rej)), "tcp connect");
  const tapped = config.tap === false ? undefined : tapSocket(raw, "client");
  const socket = tls.connect({
    ...tlsOptions(),
    socket: tapped ? tapped.duplex : raw,
    servername: config.servername,
    session,
  });
  let ticket;
  const gotTicket = new Promise((res) => {
    socket.on("session", (s) => {
      ticket = s;
      emit("session", { index });
      res();
    });
  });
  const closed = new Promise((res) => raw.once("close", res));
  try {
    await withTimeout(
      new Promise((res, rej) => socket.once("secureConnect", res).once("error", rej)),
      "handshake",
    );
    emit("secure", describe(socket, "client", index, tapped?.summary));
    if (config.send !== undefined) {
      const expected = Buffer.from(config.send);
      let got = Buffer.alloc(0);
      const echoed = new Promise((res, rej) => {
        socket.on("data", (d) => {
          got = Buffer.concat([got, d]);
          if (got.length >= expected.length) res();
        });
        socket.once("end", () =>
          rej(new Error(`peer ended after ${got.length} of ${expected.length} bytes`)),
        );
      });
      socket.write(expected);
      await withTimeout(echoed, "echo");
      emit("data", { index, text: got.toString("utf8") });
    }
    // A ticket is awaited only when a later connection will offer it (Node 24 / OpenSSL issues
    // none after a client-certificate handshake, and none after a resumed one).
    if (config.resume && index + 1 < (config.connections ?? 1))
      await withTimeout(gotTicket, "session ticket");
    const ended = new Promise((res) => socket.once("end", res));
    socket.end();
    await withTimeout(Promise.race([ended, closed]), "peer close");
  } catch (e) {
    emit("error", { index, ...errorFields(e) });
    socket.destroy();
  }
  raw.destroy();
  await withTimeout(closed, "socket close").catch(() => {});
  emit("closed", { index, bytesRead: raw.bytesRead, bytesWritten: raw.bytesWritten, wire: tapped?.summary });
  return ticket;
}

async function runClient() {
  const count = config.connections ?? 1;
  let session;
  for (let i = 0; i < count; i++) {
    const ticket = await clientConnection(i, config.resume ? session : undefined);
    session = ticket ?? session;
  }
  emit("done");
}

emit("ready", {
  role: config.role,
  pid: process.pid,
  node: process.version,
  openssl: process.versions.openssl,
});
if (config.role === "server") runServer();
else if (config.role === "client") {
  runClient().then(
    () => process.exit(0),
    (e) => {
      emit("error", { index: -1, ...errorFields(e) });
      process.exit(1);
    },
  );
} else {
  emit("error", {
    index: -1,
    code: "BAD_CONFIG",
    message: `role must be server or client, got ${config.role}`,
  });
  process.exit(2);
}
