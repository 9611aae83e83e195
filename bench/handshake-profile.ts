/**
 * A CPU-only loop of in-process TLS 1.3 handshakes for `node --cpu-prof`:
 * two sans-IO connections (tls/connection.ts) pumped in memory, no sockets,
 * no timers, so a profile shows the handshake's own work (crypto, parsing,
 * transcript, key schedule) and nothing of the transport. The configuration
 * is bench/handshake.ts's pqrpc rows: X25519MLKEM768, ML-DSA-65 chain (leaf
 * + CA), TLS_AES_256_GCM_SHA384, the "auto" provider choice.
 *
 *   PQRPC_HS_PROFILE=out.cpuprofile npx tsx bench/handshake-profile.ts [full|resume] [count]
 *   npx tsx bench/rpc/profile-summary.ts out.cpuprofile
 *
 * With PQRPC_HS_PROFILE set, the V8 CPU profiler (node:inspector) runs around
 * the timed loop only, so start-up (tsx compiling, the development PKI) stays
 * out of the profile, which `node --cpu-prof` would include.
 *
 * PQRPC_HS_POOL=1 gives client and server a key-share pool
 * (tls/key-share-pool.ts) refilled by setImmediate, as the Node adapter
 * does; the loop yields to the event loop between handshakes (so refills run
 * there, as they would while a real connection waits on the network).
 *
 * It prints the mean time inside the handshake calls ("critical path", which
 * a pool shortens; as wall time and as CPU time, the latter less disturbed
 * by other processes on a busy machine), the mean CPU time per handshake
 * including any refill work (both sides, one process; a pool does not lower
 * it), and the provider serving each PQ algorithm. The figure is for comparing two
 * builds on one machine, not a benchmark row (bench:handshake is that).
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { performance } from "node:perf_hooks";
import { createCrypto, loadWasmProvider } from "../src/crypto/index.ts";
import { createDevelopmentPki, parseIdentity, TrustStore } from "../src/pki/index.ts";
import {
  createTlsClient,
  createTlsServer,
  KeySharePool,
  type ResumptionSession,
  TicketSealer,
  type TlsClientConfig,
  type TlsConnection,
  type TlsServerConfig,
} from "../src/tls/index.ts";

const DEFAULT_COUNT = 300;
const WARMUP = 20;
/** Rounds of the in-memory pump before a handshake counts as stuck. */
const MAX_PUMP_ROUNDS = 50;

function pump(client: TlsConnection, server: TlsConnection): void {
  for (let round = 0; round < MAX_PUMP_ROUNDS; round++) {
    let moved = false;
    for (const [from, to] of [
      [client, server],
      [server, client],
    ] as const) {
      for (const chunk of from.takeOutgoing()) {
        moved = true;
        to.receive(chunk);
      }
    }
    if (!moved) return;
  }
  throw new Error("handshake did not settle");
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? "full";
  if (mode !== "full" && mode !== "resume") throw new Error(`mode ${mode}: expected full or resume`);
  const count = Number(process.argv[3] ?? DEFAULT_COUNT);
  await loadWasmProvider({ algorithms: ["ml-kem-768", "ml-dsa-65"] }).catch(() => undefined);
  const crypto = createCrypto();
  const pki = createDevelopmentPki({ algorithm: "ml-dsa-65", crypto });
  const identity = parseIdentity(pki.server.chainPem, pki.server.keyPem, crypto);
  const verifier = new TrustStore({ roots: [pki.ca.certificate], crypto });
  const pool =
    process.env["PQRPC_HS_POOL"] === "1"
      ? new KeySharePool({ crypto, schedule: (work) => void setImmediate(work) })
      : false;
  const serverConfig: TlsServerConfig = {
    crypto,
    certificate: identity,
    groups: ["X25519MLKEM768"],
    cipherSuites: ["TLS_AES_256_GCM_SHA384"],
    sessionTickets: { sealer: new TicketSealer(crypto), count: 1 },
    keySharePool: pool,
  };
  let session: ResumptionSession | undefined;
  const clientConfig = (): TlsClientConfig => ({
    crypto,
    verifier,
    serverName: "localhost",
    groups: ["X25519MLKEM768"],
    cipherSuites: ["TLS_AES_256_GCM_SHA384"],
    onSessionTicket: (s) => {
      session ??= s;
    },
    ...(mode === "resume" && session ? { session } : {}),
    keySharePool: pool,
  });
  const once = () => {
    const offered = mode === "resume" && session !== undefined;
    const server = createTlsServer(serverConfig);
    const client = createTlsClient(clientConfig());
    pump(client, server);
    if (!client.handshakeComplete || !server.handshakeComplete) throw new Error("handshake incomplete");
    if (offered && client.info?.resumed !== true) throw new Error("not resumed");
  };
  const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));
  for (let i = 0; i < WARMUP; i++) {
    once();
    await yieldToLoop();
  }
  const profileFile = process.env["PQRPC_HS_PROFILE"];
  const inspector = profileFile ? new Session() : undefined;
  if (inspector) {
    inspector.connect();
    await inspector.post("Profiler.enable");
    await inspector.post("Profiler.start");
  }
  const cpu0 = process.cpuUsage();
  let inside = 0;
  let insideCpuUs = 0;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    once();
    const c = process.cpuUsage(c0);
    inside += performance.now() - t0;
    insideCpuUs += c.user + c.system;
    await yieldToLoop();
  }
  const cpu = process.cpuUsage(cpu0);
  if (inspector && profileFile) {
    const { profile } = await inspector.post("Profiler.stop");
    writeFileSync(profileFile, JSON.stringify(profile));
    inspector.disconnect();
  }
  const d = crypto.describe();
  console.log(
    `${mode}: ${count} handshakes on node ${process.version}; ` +
      `critical path ${(inside / count).toFixed(3)} ms wall, ${(insideCpuUs / 1000 / count).toFixed(3)} ms CPU; ` +
      `${((cpu.user + cpu.system) / 1000 / count).toFixed(3)} ms CPU per handshake in all` +
      `${pool ? " (key-share pool)" : ""}; ` +
      `ml-kem-768:${d["ml-kem-768"]} ml-dsa-65:${d["ml-dsa-65"]} x25519:${d["x25519"]}`,
  );
  const cache = (verifier as Partial<{ cacheStats: object }>).cacheStats;
  if (cache) console.log(`  trust store: ${JSON.stringify(cache)}`);
  if (pool) console.log(`  key-share pool: ${JSON.stringify(pool.stats)}`);
}

await main();
