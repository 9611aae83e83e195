/**
 * Receive path: bytes allocated per payload byte, and client CPU, while a
 * client made by connectTls receives a stream of 64 KiB application writes
 * over loopback TCP (issue 11 item 2, receive side). The sender runs in a
 * child process, so only the receiving process is measured.
 *   npx tsx bench/recv-path-alloc.ts [--mib 64] [--rounds 5] [--no-reuse] [--json]
 *   tools/node24/node_modules/.bin/node --import tsx bench/recv-path-alloc.ts
 *
 * Allocation: the receiver samples V8's used heap plus Node's ArrayBuffer
 * bytes (process.memoryUsage heapUsed + arrayBuffers) at every plaintext
 * chunk it is handed; the difference between two samples is what the receive
 * path allocated in between (socket reads, record deframing, decryption,
 * stream buffering), minus the sampler's own cost (calibrated). Intervals in
 * which a garbage collection started are left out (frees would hide
 * allocations), with array-buffer sweeping made non-concurrent so frees only
 * happen inside a GC. "B/byte" = bytes allocated / payload bytes in the
 * intervals kept.
 * CPU: a second transfer per round without the sampler; "CPU ms/MiB" is the
 * receiving process's user+system CPU per MiB received, "MB/s" wall rate.
 * `--no-reuse` asks connectTls not to read into its reused buffer (A/B of
 * that one change; a build without the option ignores it).
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { defaultCrypto } from "../src/crypto/select.ts";
import { createDevelopmentPki } from "../src/pki/development-pki.ts";
import { createVerifier } from "../src/pki/trust-store.ts";
import { connectTls, tlsAccept } from "../src/transport/tls-connect.ts";
import type { TlsSocket } from "../src/transport/tls-socket.ts";

/** The sender's application write size (one streamed message). */
const MESSAGE_BYTES = 64 * 1024;
/** Leading bytes of every transfer left out of the figures (JIT warm-up, slow start). */
const WARMUP_BYTES = 4 * 1024 * 1024;
const CALIBRATION_SAMPLES = 2000;

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// --- sender (child process): accepts, reads an 8-byte length, streams that many bytes in 64 KiB writes.

async function runSender(): Promise<void> {
  const crypto = defaultCrypto();
  const pki = createDevelopmentPki({ algorithm: "ml-dsa-65", crypto });
  const message = crypto.randomBytes(MESSAGE_BYTES);
  const server = createServer((tcp) => {
    tcp.setNoDelay(true);
    tlsAccept(tcp, { crypto, certificate: pki.server.certifiedKey }).then(
      (tls) => {
        tls.once("data", (request: Buffer) => {
          let left = Number(request.readBigUInt64BE(0));
          const writeMore = (): void => {
            while (left > 0) {
              const n = Math.min(left, MESSAGE_BYTES);
              left -= n;
              if (!tls.write(n === MESSAGE_BYTES ? message : message.subarray(0, n))) {
                tls.once("drain", writeMore);
                return;
              }
            }
            tls.end();
          };
          writeMore();
        });
        tls.on("error", () => {});
      },
      () => tcp.destroy(),
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  process.send!({ port, ca: Buffer.from(pki.ca.certificate).toString("base64") });
  process.on("disconnect", () => process.exit(0));
}

// --- receiver (this process)

interface Transfer {
  readonly payloadBytes: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Sampled runs only. */
  readonly allocatedBytes?: number;
  readonly keptPayloadBytes?: number;
  readonly keptIntervals?: number;
  readonly intervals?: number;
}

type Connect = () => Promise<TlsSocket>;

function sample(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** The sampler's own allocation per sample (median of back-to-back samples). */
function calibrate(): number {
  const deltas: number[] = [];
  let last = sample();
  for (let i = 0; i < CALIBRATION_SAMPLES; i++) {
    const now = sample();
    const d = now - last;
    if (d >= 0) deltas.push(d);
    last = now;
  }
  return median(deltas);
}

async function transfer(
  connect: Connect,
  bytes: number,
  sampled: boolean,
  perSample: number,
): Promise<Transfer> {
  const tls = await connect();
  const request = Buffer.alloc(8);
  request.writeBigUInt64BE(BigInt(bytes + WARMUP_BYTES));
  // Sampled: timestamps, values and payload per interval, in preallocated arrays (no allocation per sample).
  const maxSamples = sampled ? Math.ceil((bytes + WARMUP_BYTES) / 1024) + 16 : 0;
  const times = new Float64Array(maxSamples);
  const values = new Float64Array(maxSamples);
  const payload = new Float64Array(maxSamples);
  let samples = 0;
  let received = 0;
  let measuring = false;
  let measuredBytes = 0;
  let t0 = 0;
  let cpu0: NodeJS.CpuUsage = process.cpuUsage();
  const gcStarts: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcStarts.push(e.startTime);
  });
  if (sampled) observer.observe({ entryTypes: ["gc"] });
  const done = new Promise<void>((resolve, reject) => {
    tls.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (!measuring) {
        if (received < WARMUP_BYTES) return;
        measuring = true;
        t0 = performance.now();
        cpu0 = process.cpuUsage();
        if (sampled) {
          times[0] = performance.now();
          values[0] = sample();
          samples = 1;
        }
        return;
      }
      measuredBytes += chunk.length;
      if (sampled && samples < maxSamples) {
        values[samples] = sample();
        times[samples] = performance.now();
        payload[samples] = chunk.length;
        samples++;
      }
    });
    tls.on("end", resolve);
    tls.on("error", reject);
  });
  tls.write(request);
  await done;
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  tls.destroy();
  if (!sampled) return { payloadBytes: measuredBytes, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
  // GC entries arrive after the fact: let the observer catch up.
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  gcStarts.sort((a, b) => a - b);
  let allocated = 0;
  let kept = 0;
  let keptPayload = 0;
  let g = 0;
  for (let i = 1; i < samples; i++) {
    while (g < gcStarts.length && gcStarts[g]! < times[i - 1]!) g++;
    const gcInside = g < gcStarts.length && gcStarts[g]! <= times[i]!;
    const delta = values[i]! - values[i - 1]! - perSample;
    if (gcInside || values[i]! < values[i - 1]!) continue;
    allocated += Math.max(0, delta);
    keptPayload += payload[i]!;
    kept++;
  }
  return {
    payloadBytes: measuredBytes,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    allocatedBytes: allocated,
    keptPayloadBytes: keptPayload,
    keptIntervals: kept,
    intervals: samples - 1,
  };
}

async function runReceiver(): Promise<void> {
  // Frees of ArrayBuffers then happen only inside a GC pause, which the sampler can see and leave out.
  setFlagsFromString("--no-concurrent-array-buffer-sweeping");
  const mib = argValue("--mib", 64);
  const rounds = argValue("--rounds", 5);
  const reuse = !process.argv.includes("--no-reuse");
  const bytes = Math.round(mib * 1024 * 1024);
  const child = fork(process.argv[1]!, ["--sender"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const [ready] = (await once(child, "message")) as [{ port: number; ca: string }];
  const crypto = defaultCrypto();
  const verifier = createVerifier({ roots: Buffer.from(ready.ca, "base64"), crypto });
  const connect: Connect = () =>
    connectTls("127.0.0.1", ready.port, {
      crypto,
      serverName: "localhost",
      verifier,
      ...({ reuseReadBuffer: reuse } as object),
    });
  try {
    const perSample = calibrate();
    const perByte: number[] = [];
    const cpuPerMib: number[] = [];
    const rates: number[] = [];
    const kept: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const a = await transfer(connect, bytes, true, perSample);
      perByte.push(a.allocatedBytes! / a.keptPayloadBytes!);
      kept.push(a.keptIntervals! / a.intervals!);
      const c = await transfer(connect, bytes, false, 0);
      cpuPerMib.push(c.cpuMs / (c.payloadBytes / 2 ** 20));
      rates.push(c.payloadBytes / 1e6 / (c.wallMs / 1000));
    }
    const result = {
      node: process.version,
      reuse,
      mib,
      rounds,
      messageBytes: MESSAGE_BYTES,
      samplerBytesPerSample: perSample,
      bytesAllocatedPerPayloadByte: median(perByte),
      cpuMsPerMib: median(cpuPerMib),
      mbPerSecond: median(rates),
      keptIntervalShare: median(kept),
      perRound: { bytesAllocatedPerPayloadByte: perByte, cpuMsPerMib: cpuPerMib, mbPerSecond: rates },
    };
    if (process.argv.includes("--json")) console.log(JSON.stringify(result));
    console.log(
      `receive path, Node ${process.version}, ${mib} MiB of ${MESSAGE_BYTES}-byte writes per transfer, ` +
        `${rounds} rounds (medians), read buffer ${reuse ? "reused (if supported)" : "per read"}`,
    );
    console.log(
      `  bytes allocated per payload byte: ${result.bytesAllocatedPerPayloadByte.toFixed(3)}` +
        `  (intervals kept: ${(result.keptIntervalShare * 100).toFixed(0)}%, sampler ${perSample} B/sample)`,
    );
    console.log(`  client CPU ms per MiB: ${result.cpuMsPerMib.toFixed(2)}`);
    console.log(`  throughput MB/s: ${result.mbPerSecond.toFixed(0)}`);
  } finally {
    child.disconnect();
  }
}

if (process.argv.includes("--sender")) await runSender();
else await runReceiver();
