/**
 * `node --import tsx test/fuzz/seeds.ts`: records real transcripts into
 * test/fuzz/corpus/<target>/seed-<name>: TLS handshakes between an in-memory
 * client and server (wire records and the plaintext handshake messages),
 * pqrpc/1 session bytes of a real echo call, header blocks, gRPC envelopes,
 * development certificates, keys and CSRs, and `pqrpc call -d` texts. Each
 * seed starts with the target's option bytes (see each target's
 * description). Files other than seed-* (inputs a --save run added) are kept.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { concatChunks } from "../../src/bytes/bytes.ts";
import { createCsr } from "../../src/pki/csr.ts";
import { createDevelopmentPki } from "../../src/pki/development-pki.ts";
import { HeaderEncoder } from "../../src/protocol/frames/header-encoder.ts";
import { FrameSession } from "../../src/protocol/frames/session.ts";
import { collect, echoHandler } from "../../src/protocol/frames/session-test-helpers.ts";
import { encodeEnvelope } from "../../src/protocol/grpc/envelope.ts";
import { clientHello } from "../../src/tls/codec/messages.ts";
import { ExtensionType } from "../../src/tls/codec/types.ts";
import { createHostilePeer, type TlsConnection } from "../../src/tls/connection.ts";
import { clientConfig, pki, serverConfig } from "../../src/tls/engine-test-helpers.ts";
import { createMemoryPair } from "../../src/transport/memory-pair.ts";
import { crypto, fuzzPki } from "./harness/pki-fixture.ts";
import { corpusDir, type TargetName } from "./harness/registry.ts";

const seeds = new Map<TargetName, Map<string, Uint8Array>>();
function seed(target: TargetName, name: string, ...parts: (Uint8Array | number[])[]): void {
  let m = seeds.get(target);
  if (!m) seeds.set(target, (m = new Map()));
  m.set(name, concatChunks(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)))));
}
const text = (s: string) => new TextEncoder().encode(s);
const u16 = (n: number) => [n >> 8, n & 0xff];
const lengthPrefixed = (items: readonly Uint8Array[]) =>
  concatChunks(items.flatMap((i) => [Uint8Array.from(u16(i.length)), i]));

// --- TLS: a real handshake, recording wire bytes per direction and every plaintext handshake message.
interface Transcript {
  wire: { "client->server": Uint8Array[]; "server->client": Uint8Array[] };
  messages: { client: Uint8Array[]; server: Uint8Array[] };
}
function handshake(clientAuth: boolean): Transcript {
  const t: Transcript = {
    wire: { "client->server": [], "server->client": [] },
    messages: { client: [], server: [] },
  };
  const recorder = (side: "client" | "server") => ({
    outgoingHandshake: (m: Uint8Array) => {
      t.messages[side].push(m.slice());
      return m;
    },
  });
  const server = createHostilePeer(
    "server",
    serverConfig(clientAuth ? { clientAuth: "require" } : {}),
    recorder("server"),
  );
  const client = createHostilePeer(
    "client",
    clientConfig(clientAuth ? { certificate: pki().client.certifiedKey } : {}),
    recorder("client"),
  );
  for (let round = 0; round < 10; round++) {
    let moved = false;
    for (const [from, to, dir] of [
      [client, server, "client->server"],
      [server, client, "server->client"],
    ] as [TlsConnection, TlsConnection, keyof Transcript["wire"]][]) {
      for (const chunk of from.takeOutgoing()) {
        t.wire[dir].push(chunk);
        to.receive(chunk);
        moved = true;
      }
    }
    if (!moved) break;
  }
  if (!client.handshakeComplete || !server.handshakeComplete) throw new Error("seed handshake failed");
  return t;
}

for (const clientAuth of [false, true]) {
  const t = handshake(clientAuth);
  const tag = clientAuth ? "mutual" : "server-auth";
  const toServer = concatChunks(t.wire["client->server"]);
  const toClient = concatChunks(t.wire["server->client"]);
  seed("tls-record-deframer", `${tag}-client-flight`, [15, 0, 255], toServer);
  seed("tls-record-deframer", `${tag}-server-flight`, [255, 3, 0], toClient);
  seed("tls-handshake-messages", `${tag}-client`, [0], concatChunks(t.messages.client));
  seed("tls-handshake-messages", `${tag}-server`, [4], concatChunks(t.messages.server));
  for (const [i, m] of t.messages.server.entries()) {
    seed("tls-handshake-messages", `${tag}-server-${i}`, [255], m);
  }
  seed("tls-client-engine", `${tag}-raw-server-flight`, [0, 255], toClient);
  seed(
    "tls-server-engine",
    `${tag}-raw-client-hello`,
    [0, 255, clientAuth ? 1 : 0],
    t.wire["client->server"][0]!,
  );
  // Live mode: each handshake message in turn, overwritten with a byte, truncated, or extended.
  for (let victim = 0; victim < (clientAuth ? 6 : 5); victim++) {
    seed("tls-client-engine", `${tag}-mutate-${victim}-flip`, [
      1,
      clientAuth ? 1 : 0,
      victim,
      1,
      0,
      40,
      0xff,
    ]);
    seed("tls-client-engine", `${tag}-mutate-${victim}-cut`, [1, clientAuth ? 1 : 0, victim, 2, 0, 6]);
    seed("tls-server-engine", `${tag}-mutate-${victim}-flip`, [
      1,
      clientAuth ? 1 : 0,
      victim,
      1,
      0,
      60,
      0x00,
    ]);
    seed("tls-server-engine", `${tag}-mutate-${victim}-grow`, [
      1,
      clientAuth ? 1 : 0,
      victim,
      3,
      0,
      4,
      0,
      0,
      0,
      0,
    ]);
  }
  if (!clientAuth) {
    // Every ClientHello extension body, behind the index of its decoder in the extensions target.
    const ch = clientHello.decode(t.messages.client[0]!.subarray(4));
    const decoderIndex: Record<number, number> = {
      [ExtensionType.supported_versions]: 0,
      [ExtensionType.supported_groups]: 2,
      [ExtensionType.signature_algorithms]: 2,
      [ExtensionType.key_share]: 3,
      [ExtensionType.server_name]: 6,
      [ExtensionType.application_layer_protocol_negotiation]: 7,
      [ExtensionType.psk_key_exchange_modes]: 8,
      [ExtensionType.record_size_limit]: 12,
    };
    for (const e of ch.extensions.list) {
      const index = decoderIndex[e.type];
      // A post-quantum key share is larger than the extension target needs: keep its group and a prefix.
      if (index !== undefined)
        seed("tls-extensions", `client-hello-${e.type}`, [index], e.data.subarray(0, 256));
    }
  }
}
seed("tls-extensions", "server-version", [1], u16(0x0304));
seed("tls-extensions", "hrr-group", [5], u16(0x11ec));
seed(
  "tls-extensions",
  "psk",
  [9],
  u16(11),
  u16(4),
  text("tick"),
  [0, 0, 0, 1],
  u16(33),
  [32],
  new Uint8Array(32),
);
seed("tls-extensions", "cookie", [11], u16(3), [1, 2, 3]);

// --- PKI: certificates, keys and PEM of three algorithm families; CSRs; chains for path validation.
for (const algorithm of ["ed25519", "ecdsa-p256-sha256", "ml-dsa-44"] as const) {
  const p = algorithm === "ed25519" ? fuzzPki() : createDevelopmentPki({ algorithm, crypto });
  for (const who of ["ca", "server", "client"] as const) {
    seed("x509-certificate", `${algorithm}-${who}`, p[who].certificate);
    seed("pkcs8-private-key", `${algorithm}-${who}`, p[who].keyPair.pkcs8);
  }
  seed("pem", `${algorithm}-chain`, text(p.server.chainPem));
  seed("pem", `${algorithm}-key`, text(p.server.keyPem));
  seed(
    "csr",
    algorithm,
    createCsr({
      subject: "CN=fuzz.example",
      publicKey: p.client.keyPair,
      signingKey: p.client.keyPair.signingKey,
      subjectAltNames: ["fuzz.example", "192.0.2.1"],
    }),
  );
}
const chain = fuzzPki().server.certifiedKey.chain;
seed("path-validation", "server-chain", [1, 1], lengthPrefixed(chain));
seed("path-validation", "client-chain", [0, 1], lengthPrefixed(fuzzPki().client.certifiedKey.chain));
seed("path-validation", "flip-leaf", [1, 0, 0, 2, 0, 100, 0x01]);
seed("path-validation", "reorder", [1, 0, 1, 1, 0, 0]);

// --- pqrpc/1: one echo call between two real sessions; the bytes each side wrote.
async function sessionTranscript(): Promise<{ toServer: Uint8Array; toClient: Uint8Array }> {
  const [a, b] = createMemoryPair();
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  b.on("data", (c: Uint8Array) => toServer.push(Uint8Array.from(c)));
  a.on("data", (c: Uint8Array) => toClient.push(Uint8Array.from(c)));
  const server = new FrameSession(b, { role: "server", onStream: echoHandler });
  const client = new FrameSession(a, { role: "client" });
  const stream = client.openStream([
    [":path", "/helloworld.Greeter/SayHello"],
    ["content-type", "application/grpc+proto"],
    ["x-echo", "seed"],
  ]);
  await stream.send(text("hello"), { endStream: true });
  await collect(stream);
  await client.close();
  await server.closed;
  return { toServer: concatChunks(toServer), toClient: concatChunks(toClient) };
}
const frames = await sessionTranscript();
seed("frame-decoder", "client-call", [0], frames.toServer);
seed("frame-decoder", "server-reply", [3], frames.toClient);
// The session target's peer sends its own SETTINGS first; what follows is the other side's traffic.
seed("frame-session", "client-call", [0, 0], frames.toServer);
seed("frame-session", "server-reply", [1, 2], frames.toClient);

const encoder = new HeaderEncoder();
const request: [string, string][] = [
  [":path", "/helloworld.Greeter/SayHello"],
  ["content-type", "application/grpc+proto"],
  ["grpc-timeout", "100m"],
  ["authorization", "Bearer 0123456789abcdef0123"],
  ["x-trace-bin", "AAECAw"],
];
const blocks = [
  encoder.encode(request),
  encoder.encode(request),
  encoder.encode([...request, ["x-new", "v"]]),
];
seed("header-decoder", "requests", [0x10, 0x00, 0x20, 0x00], lengthPrefixed(blocks));
seed("header-decoder", "small-table", [0x00, 0x40, 0x00, 0x40], lengthPrefixed(blocks));

seed(
  "grpc-envelope",
  "three-messages",
  [0x01, 0x00, 7],
  encodeEnvelope({ data: text("hello"), compressed: false }),
  encodeEnvelope({ data: new Uint8Array(0), compressed: false }),
  encodeEnvelope({ data: new Uint8Array(200), compressed: true }),
);

// --- pqrpc call -d: one value, several values, an array, every schema.
seed("cli-json-input", "hello", [0, 0], text('{"name":"world"}'));
seed("cli-json-input", "hello-stream", [0, 1], text('{"name":"a"} {"name":"b"}\n[{"name":"c"}]'));
seed("cli-json-input", "health", [1, 0], text('{"service":"helloworld.Greeter"}'));
seed(
  "cli-json-input",
  "reflection",
  [2, 1],
  text('[{"host":"h","listServices":""},{"fileContainingSymbol":"x.Y"}]'),
);

for (const [target, files] of seeds) {
  const dir = corpusDir(target);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.startsWith("seed-")) rmSync(join(dir, f));
  for (const [name, data] of files) writeFileSync(join(dir, `seed-${name}`), data);
  console.log(`${target}: ${files.size} seeds`);
}
