/**
 * `npm start`: the demo on its built-in defaults. It creates a development CA
 * and certificates (ML-DSA-65) under .pqrpc/dev-certs on first run, starts a
 * pqrpc TLS 1.3 server on 127.0.0.1, connects a pqrpc client with the default
 * policy (X25519MLKEM768), exchanges a message, resumes the session with the
 * server's ticket, and prints what was negotiated and how long it took.
 *
 * Options: --dir DIR (certificates), --port N (0 = any free port).
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runCerts } from "../cli/certs.ts";
import { processIo } from "../cli/cli-error.ts";
import { defaultCrypto, loadWasmProvider } from "../crypto/index.ts";
import { loadIdentity, loadTrust } from "../pki/index.ts";
import { type NegotiatedInfo, type ResumptionSession, TicketSealer } from "../tls/index.ts";
import { connectTls, tlsAccept } from "../transport/tls-connect.ts";
import type { TlsSocket } from "../transport/tls-socket.ts";

const { values } = parseArgs({
  options: { dir: { type: "string", default: ".pqrpc/dev-certs" }, port: { type: "string", default: "0" } },
});
const dir = values.dir;

if (!existsSync(join(dir, "ca.pem"))) {
  console.log(`creating a development CA and certificates in ${dir} (ML-DSA-65)`);
  await runCerts(["init", "--dir", dir, "--alg", "ml-dsa-65"], processIo);
}
await loadWasmProvider();
const identity = await loadIdentity(join(dir, "server.pem"), join(dir, "server.key"));
const trust = await loadTrust(join(dir, "ca.pem"));
const sealer = new TicketSealer(defaultCrypto());

const server: Server = createServer(async (tcp) => {
  try {
    const tls = await tlsAccept(tcp, { certificate: identity, sessionTickets: { sealer } });
    // Echo, uppercased, so the client sees the server really decrypted it.
    tls.on("data", (chunk: Buffer) => tls.write(chunk.toString("utf8").toUpperCase()));
    tls.on("end", () => tls.end());
    tls.on("error", () => tcp.destroy());
  } catch (error) {
    console.error(`server: handshake failed: ${(error as Error).message}`);
  }
});
await new Promise<void>((resolve) => server.listen(Number(values.port), "127.0.0.1", resolve));
const address = server.address();
const port = typeof address === "object" && address ? address.port : 0;
console.log(`pqrpc demo server listening on 127.0.0.1:${port}`);

async function roundTrip(session?: ResumptionSession) {
  let ticket: ResumptionSession | undefined;
  const start = performance.now();
  const tls: TlsSocket = await connectTls("127.0.0.1", port, {
    serverName: "localhost",
    verifier: trust,
    session,
    onSessionTicket: (t) => {
      ticket ??= t;
    },
  });
  const handshakeMs = performance.now() - start;
  const reply = await new Promise<string>((resolve, reject) => {
    tls.once("data", (chunk: Buffer) => resolve(chunk.toString("utf8")));
    tls.once("error", reject);
    tls.write("hello over post-quantum TLS");
  });
  // The ticket arrives after the handshake; one round trip is enough for it to be read.
  tls.end();
  return { info: tls.info as NegotiatedInfo, handshakeMs, reply, ticket };
}

function describe(label: string, r: { info: NegotiatedInfo; handshakeMs: number; reply: string }) {
  const i = r.info;
  console.log(`\n${label}`);
  console.log(`  protocol          ${i.version}`);
  console.log(
    `  key exchange      ${i.group ?? "(none: PSK only)"}${i.helloRetry ? " (after HelloRetryRequest)" : ""}`,
  );
  console.log(`  cipher suite      ${i.cipherSuite}`);
  console.log(`  server signature  ${i.signatureScheme ?? "(none: resumed with PSK)"}`);
  console.log(`  resumed           ${i.resumed ? `yes (${i.pskMode})` : "no"}`);
  console.log(`  handshake         ${r.handshakeMs.toFixed(2)} ms (TCP connect included)`);
  console.log(`  echo reply        ${JSON.stringify(r.reply)}`);
}

try {
  const crypto = defaultCrypto().describe();
  console.log(
    `crypto providers: ML-KEM-768 ${crypto["ml-kem-768"]}, ML-DSA-65 ${crypto["ml-dsa-65"]}, AES-256-GCM ${crypto["aes-256-gcm"]}`,
  );
  const full = await roundTrip();
  describe("full handshake", full);
  if (full.ticket) describe("resumed handshake (server's session ticket)", await roundTrip(full.ticket));
  else console.log("\n(no session ticket received; resumption skipped)");
} finally {
  server.close();
}
