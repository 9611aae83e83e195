/**
 * Issue 2 acceptance: interop with OpenSSL 3.5 (Node 24's `tls`), both
 * directions, asserting the negotiated parameters on both sides (OpenSSL's
 * view comes from its own API plus a wire tap, see openssl-peer.mjs).
 *
 * Chains: ML-DSA-65 and ECDSA P-256 issued by `pqrpc certs init` (the CLI,
 * OpenSSL loads the files as they are), and an ML-DSA-65 chain made by
 * node:crypto / OpenSSL that pqrpc must verify. Generated once into a temp dir.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { CipherSuiteName, GroupName } from "../../src/crypto/registry.ts";
import { defaultCrypto } from "../../src/crypto/select.ts";
import { loadIdentity, loadTrust } from "../../src/pki/load.ts";
import type { CertifiedKey, PeerVerifier } from "../../src/pki/types.ts";
import { type ResumptionSession, TicketSealer, type TlsClientConfig } from "../../src/tls/index.ts";
import { connectTls } from "../../src/transport/tls-connect.ts";
import type { TlsSocket } from "../../src/transport/tls-socket.ts";
import { type ChainFiles, chainFiles, writeNodeCryptoChainOnNode24 } from "../fixtures/node-crypto-chain.ts";
import { node24Binary, OpensslPeer, type PeerConfig, runOpensslClient } from "./peer.ts";
import { PqrpcServer } from "./pqrpc-server.ts";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const crypto = defaultCrypto();
/** Echo round trip guard for the pqrpc client side. */
const ECHO_TIMEOUT_MS = 10_000;

/** Group names: pqrpc registry <-> OpenSSL. */
const GROUP_CASES: { pqrpc: GroupName; openssl: string; suite: CipherSuiteName }[] = [
  // Each group is paired with a suite so that every suite is covered in each direction.
  { pqrpc: "X25519MLKEM768", openssl: "X25519MLKEM768", suite: "TLS_AES_256_GCM_SHA384" },
  { pqrpc: "SecP256r1MLKEM768", openssl: "SecP256r1MLKEM768", suite: "TLS_CHACHA20_POLY1305_SHA256" },
  { pqrpc: "SecP384r1MLKEM1024", openssl: "SecP384r1MLKEM1024", suite: "TLS_AES_128_GCM_SHA256" },
  { pqrpc: "MLKEM768", openssl: "MLKEM768", suite: "TLS_AES_256_GCM_SHA384" },
  { pqrpc: "x25519", openssl: "X25519", suite: "TLS_CHACHA20_POLY1305_SHA256" },
];
const ALL_OPENSSL_GROUPS = GROUP_CASES.map((g) => g.openssl).join(":");

interface Chain {
  files: ChainFiles;
  trust: PeerVerifier;
  server: CertifiedKey;
  client: CertifiedKey;
}

async function loadChain(files: ChainFiles): Promise<Chain> {
  return {
    files,
    trust: await loadTrust(files.ca, { crypto }),
    server: await loadIdentity(files.server, files.serverKey, crypto),
    client: await loadIdentity(files.client, files.clientKey, crypto),
  };
}

function pqrpcCertsInit(dir: string, alg: string): ChainFiles {
  execFileSync(
    process.execPath,
    [
      join(REPO_ROOT, "bin/pqrpc.mjs"),
      "certs",
      "init",
      "--dir",
      dir,
      "--alg",
      alg,
      "--san",
      "localhost,127.0.0.1",
    ],
    { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 },
  );
  return chainFiles(dir);
}

/** pqrpc client: handshake, echo one message through the OpenSSL server, close. */
async function pqrpcEcho(port: number, options: Omit<TlsClientConfig, "crypto">): Promise<TlsSocket> {
  const socket = await connectTls("127.0.0.1", port, { crypto, serverName: "localhost", ...options });
  const message = `ping ${socket.info?.group}`;
  const echoed = new Promise<string>((resolveEcho, reject) => {
    let got = "";
    const timer = setTimeout(
      () => reject(new Error(`no echo after ${ECHO_TIMEOUT_MS} ms (got "${got}")`)),
      ECHO_TIMEOUT_MS,
    );
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      got += d;
      if (got.length >= message.length) {
        clearTimeout(timer);
        resolveEcho(got);
      }
    });
    socket.on("error", reject);
  });
  socket.write(message);
  assert.equal(await echoed, message);
  socket.end();
  return socket;
}

describe("interop with OpenSSL 3.5 (Node 24 tls)", () => {
  let dir: string;
  let mldsa: Chain;
  let ecdsa: Chain;
  let opensslMade: Chain;
  const peers: OpensslPeer[] = [];
  const servers: PqrpcServer[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "pqrpc-interop-"));
    mldsa = await loadChain(pqrpcCertsInit(join(dir, "mldsa"), "ml-dsa-65"));
    ecdsa = await loadChain(pqrpcCertsInit(join(dir, "ecdsa"), "ecdsa-p256-sha256"));
    opensslMade = await loadChain(
      writeNodeCryptoChainOnNode24(node24Binary(), join(dir, "openssl"), "ml-dsa-65"),
    );
  });
  after(() => {
    for (const p of peers) p.stop();
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function opensslServer(config: Omit<PeerConfig, "role">): Promise<OpensslPeer> {
    const p = await OpensslPeer.start({ ...config, role: "server" });
    peers.push(p);
    return p;
  }
  async function pqrpcServer(options: Parameters<typeof PqrpcServer.start>[0]): Promise<PqrpcServer> {
    const s = await PqrpcServer.start(options);
    servers.push(s);
    return s;
  }

  describe("pqrpc client -> OpenSSL server", () => {
    it("every group, every cipher suite, ML-DSA-65 chain from `pqrpc certs`", async () => {
      const srv = await opensslServer({
        ecdhCurve: ALL_OPENSSL_GROUPS,
        cert: mldsa.files.server,
        key: mldsa.files.serverKey,
      });
      for (const [i, g] of GROUP_CASES.entries()) {
        const c = await pqrpcEcho(srv.port, {
          verifier: mldsa.trust,
          groups: [g.pqrpc],
          cipherSuites: [g.suite],
          ...(g.pqrpc === "x25519" ? { policy: "compat" as const } : {}),
        });
        const s = await srv.secure(i);
        assert.equal(c.info?.group, g.pqrpc);
        assert.equal(c.info?.cipherSuite, g.suite);
        assert.equal(c.info?.signatureScheme, "ml-dsa-65");
        assert.equal(c.info?.helloRetry, false);
        assert.equal(s.protocol, "TLSv1.3");
        assert.equal(s.group?.toLowerCase(), g.pqrpc.toLowerCase(), `server saw ${s.group}`);
        assert.equal(s.cipher, g.suite);
      }
      assert.deepEqual(srv.errors(), []);
    });

    it("ECDSA P-256 chain (policy compat)", async () => {
      const srv = await opensslServer({ cert: ecdsa.files.server, key: ecdsa.files.serverKey });
      const c = await pqrpcEcho(srv.port, { verifier: ecdsa.trust, policy: "compat" });
      assert.equal(c.info?.signatureScheme, "ecdsa-p256-sha256");
      assert.equal(c.info?.group, "X25519MLKEM768");
      assert.equal((await srv.secure(0)).group, "X25519MLKEM768");
    });

    it("verifies an ML-DSA-65 chain that OpenSSL signed (node:crypto keys and certificates)", async () => {
      const srv = await opensslServer({ cert: opensslMade.files.server, key: opensslMade.files.serverKey });
      const c = await pqrpcEcho(srv.port, { verifier: opensslMade.trust });
      assert.equal(c.info?.signatureScheme, "ml-dsa-65");
      assert.equal(c.info?.peerCertificates.length, 1);
      await srv.secure(0);
    });

    it("client certificate: OpenSSL requires one and verifies pqrpc's ML-DSA-65 client chain", async () => {
      const srv = await opensslServer({
        cert: mldsa.files.server,
        key: mldsa.files.serverKey,
        ca: mldsa.files.ca,
        requestCert: true,
        rejectUnauthorized: true,
      });
      const c = await pqrpcEcho(srv.port, { verifier: mldsa.trust, certificate: mldsa.client });
      assert.equal(c.info?.clientAuthenticated, true);
      const s = await srv.secure(0);
      assert.equal(s.authorized, true, s.authorizationError);
      assert.match(s.peerSubject?.["CN"] ?? "", /client/i);
    });

    it("HelloRetryRequest: the OpenSSL server only takes a group the client supports but did not key-share", async () => {
      const srv = await opensslServer({
        ecdhCurve: "SecP256r1MLKEM768",
        cert: mldsa.files.server,
        key: mldsa.files.serverKey,
      });
      const c = await pqrpcEcho(srv.port, {
        verifier: mldsa.trust,
        groups: ["X25519MLKEM768", "SecP256r1MLKEM768"],
        keyShareGroups: ["X25519MLKEM768"],
      });
      assert.equal(c.info?.helloRetry, true);
      assert.equal(c.info?.group, "SecP256r1MLKEM768");
      const wire = (await srv.closed(0)).wire!;
      assert.equal(wire.helloRetry?.group, "SecP256r1MLKEM768");
      assert.deepEqual(
        wire.clientHellos.map((h) => h.keyShares.map((k) => k.group)),
        [["X25519MLKEM768"], ["SecP256r1MLKEM768"]],
      );
    });

    it("resumption with OpenSSL's ticket, and ALPN", async () => {
      const srv = await opensslServer({
        cert: mldsa.files.server,
        key: mldsa.files.serverKey,
        alpn: ["pqrpc/1", "h2"],
      });
      let session: ResumptionSession | undefined;
      let gotTicket!: () => void;
      const ticket = new Promise<void>((r) => {
        gotTicket = r;
      });
      const first = await pqrpcEcho(srv.port, {
        verifier: mldsa.trust,
        alpnProtocols: ["h2", "pqrpc/1"],
        onSessionTicket: (s) => {
          session ??= s;
          gotTicket();
        },
      });
      // Node's OpenSSL server chooses by its own preference order (SSL_select_next_proto, server list first).
      assert.equal(first.info?.alpn, "pqrpc/1");
      assert.equal((await srv.secure(0)).alpn, "pqrpc/1");
      await Promise.race([ticket, new Promise((r) => setTimeout(r, ECHO_TIMEOUT_MS))]);
      assert.ok(session, "OpenSSL sent no NewSessionTicket that pqrpc accepted");
      const second = await pqrpcEcho(srv.port, {
        verifier: mldsa.trust,
        alpnProtocols: ["pqrpc/1"],
        session,
      });
      assert.equal(second.info?.resumed, true);
      assert.equal(second.info?.pskMode, "psk_dhe_ke");
      assert.equal(second.info?.alpn, "pqrpc/1");
      const s = await srv.secure(1);
      assert.equal(s.reused, true);
      assert.equal(s.alpn, "pqrpc/1");
    });
  });

  describe("OpenSSL client -> pqrpc server", () => {
    it("every group, every cipher suite, ML-DSA-65 chain from `pqrpc certs`", async () => {
      const srv = await pqrpcServer({
        crypto,
        policy: "compat",
        groups: GROUP_CASES.map((g) => g.pqrpc),
        certificate: mldsa.server,
      });
      for (const [i, g] of GROUP_CASES.entries()) {
        const cli = await runOpensslClient({
          port: srv.port,
          ecdhCurve: g.openssl,
          ciphersuites: g.suite,
          ca: mldsa.files.ca,
          servername: "localhost",
          send: `hello ${g.openssl}`,
        });
        const c = await cli.secure(0);
        const s = await srv.connection(i);
        assert.equal(c.authorized, true, c.authorizationError);
        assert.equal(c.group?.toLowerCase(), g.pqrpc.toLowerCase());
        assert.equal(c.cipher, g.suite);
        assert.equal(s.group, g.pqrpc);
        assert.equal(s.cipherSuite, g.suite);
        assert.equal(s.serverName, "localhost");
        assert.equal(cli.events.find((e) => e.event === "data")?.text, `hello ${g.openssl}`);
      }
    });

    it("ECDSA P-256 chain (policy compat)", async () => {
      const srv = await pqrpcServer({ crypto, policy: "compat", certificate: ecdsa.server });
      const cli = await runOpensslClient({
        port: srv.port,
        ca: ecdsa.files.ca,
        servername: "localhost",
        send: "ec",
      });
      const c = await cli.secure(0);
      assert.equal(c.authorized, true, c.authorizationError);
      assert.equal((await srv.connection(0)).signatureScheme, "ecdsa-p256-sha256");
    });

    it("client certificate: pqrpc requires one and verifies OpenSSL's ML-DSA-65 client chain", async () => {
      const srv = await pqrpcServer({
        crypto,
        certificate: mldsa.server,
        clientAuth: "require",
        clientVerifier: opensslMade.trust,
      });
      const cli = await runOpensslClient({
        port: srv.port,
        ca: mldsa.files.ca,
        servername: "localhost",
        cert: opensslMade.files.client,
        key: opensslMade.files.clientKey,
        send: "with client cert",
      });
      await cli.secure(0);
      const s = await srv.connection(0);
      assert.equal(s.clientAuthenticated, true);
      assert.equal(s.peerCertificates.length >= 1, true);
    });

    it("HelloRetryRequest: pqrpc prefers a group the OpenSSL client did not key-share", async () => {
      const srv = await pqrpcServer({ crypto, groups: ["SecP256r1MLKEM768"], certificate: mldsa.server });
      const cli = await runOpensslClient({
        port: srv.port,
        // OpenSSL key-shares only the first group of the list.
        ecdhCurve: "X25519MLKEM768:SecP256r1MLKEM768",
        ca: mldsa.files.ca,
        servername: "localhost",
        send: "after HRR",
      });
      const c = await cli.secure(0);
      assert.equal(c.group, "SecP256r1MLKEM768");
      const s = await srv.connection(0);
      assert.equal(s.helloRetry, true);
      assert.equal(s.group, "SecP256r1MLKEM768");
      const wire = (await cli.closed(0)).wire!;
      assert.equal(wire.helloRetry?.group, "SecP256r1MLKEM768");
      assert.deepEqual(
        wire.clientHellos[0]?.keyShares.map((k) => k.group),
        ["X25519MLKEM768"],
      );
    });

    it("resumption with pqrpc's ticket, and ALPN", async () => {
      const srv = await pqrpcServer({
        crypto,
        certificate: mldsa.server,
        alpnProtocols: ["pqrpc/1", "h2"],
        sessionTickets: { sealer: new TicketSealer(crypto) },
      });
      const cli = await runOpensslClient({
        port: srv.port,
        ca: mldsa.files.ca,
        servername: "localhost",
        alpn: ["h2"],
        connections: 2,
        resume: true,
        send: "resume me",
      });
      const first = await cli.secure(0);
      const second = await cli.secure(1);
      assert.equal(first.reused, false);
      assert.equal(first.alpn, "h2");
      assert.equal(second.reused, true, "OpenSSL did not resume with pqrpc's ticket");
      assert.equal((await srv.connection(0)).resumed, false);
      const s = await srv.connection(1);
      assert.equal(s.resumed, true);
      assert.equal(s.pskMode, "psk_dhe_ke");
      assert.equal(s.alpn, "h2");
      const wire = (await cli.closed(1)).wire!;
      assert.equal(wire.serverHello?.psk, true);
    });
  });
});
