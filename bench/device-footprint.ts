/**
 * `npm run device:footprint`: pqrpc/device inside QuickJS (WebAssembly,
 * quickjs-emscripten) against a pqrpc server process, for each
 * configuration, printed as one JSON object:
 *
 * - peakMemoryBytes: the smallest QuickJS memory limit (setMemoryLimit, which
 *   checks every allocation) under which the whole run completes, found by
 *   bisection to PEAK_RESOLUTION_BYTES; memoryUsedEstimateBytes is QuickJS's
 *   own estimate at 1 MiB, for comparison.
 * - bundleBytes: the device bundle the guest loads (minified).
 * - handshakeMs, bytesPerHandshake: the first connection, until the device
 *   is connected (both directions, TCP payload).
 * - bytesPerCall: a unary SayHello on the first connection.
 * - per wake mode (psk_dhe_ke, psk_ke): roundTripsPerWake (server flights
 *   before the device is connected), wakeBytes (the whole cycle: resume, one
 *   call, sleep), handshakeMs, resumed.
 *
 * Configurations: PSK + ML-KEM-768 (the embedded profile), and the
 * certificate profile (ML-KEM-768 with an ML-DSA-44 chain verified in the
 * guest, with the X.509 bundle).
 */
import { createRequire } from "node:module";
import { setUpDeviceServer } from "../test/device/device-server-process.ts";
import {
  DEVICE_BUNDLE,
  DEVICE_X509_BUNDLE,
  type DeviceRun,
  type GuestConfig,
  runDeviceInQuickJs,
} from "../test/device/quickjs-host.ts";

const PEAK_RESOLUTION_BYTES = 16 * 1024;
// Below what loading the bundle alone takes (checked: 200 KiB fails), so the bisection starts from a failing limit.
const LOW_BYTES = 64 * 1024;
const HIGH_BYTES = 4 * 1024 * 1024;
const MIB = 1024 * 1024;

const setup = await setUpDeviceServer();
const server = await setup.start();
const base = {
  serverName: "localhost",
  recordSizeLimit: 2048,
  readings: ["21.5", "21.7", "21.6"],
  wakeModes: ["psk_dhe_ke", "psk_ke"],
} as const;
const configurations: { name: string; bundle: string; config: GuestConfig }[] = [
  { name: "psk-mlkem768-chacha20", bundle: DEVICE_BUNDLE, config: { ...base, psk: setup.psk } },
  {
    name: "certificate-mldsa44-mlkem768-chacha20",
    bundle: DEVICE_X509_BUNDLE,
    config: { ...base, caDer: setup.caDer },
  },
];

const attempt = async (
  bundle: string,
  config: GuestConfig,
  limit: number,
): Promise<DeviceRun | undefined> => {
  try {
    const run = await runDeviceInQuickJs({
      bundle,
      config,
      memoryLimitBytes: limit,
      serverPort: async () => server.port,
    });
    return run.results.error === undefined ? run : undefined;
  } catch {
    return undefined;
  }
};

const out: Record<string, unknown>[] = [];
try {
  for (const c of configurations) {
    const atOneMib = await attempt(c.bundle, c.config, MIB);
    let low = LOW_BYTES;
    let high = HIGH_BYTES;
    let best = atOneMib !== undefined ? atOneMib : await attempt(c.bundle, c.config, high);
    if (best === undefined) {
      out.push({ name: c.name, error: `does not complete under ${HIGH_BYTES} bytes` });
      continue;
    }
    if (atOneMib !== undefined) high = MIB;
    if ((await attempt(c.bundle, c.config, low)) !== undefined)
      throw new Error(`${c.name} completes under ${low} bytes: lower LOW_BYTES`);
    while (high - low > PEAK_RESOLUTION_BYTES) {
      const mid = Math.round((low + high) / 2 / 1024) * 1024;
      const run = await attempt(c.bundle, c.config, mid);
      if (run === undefined) low = mid;
      else {
        high = mid;
        best = run;
      }
    }
    const r = best.results;
    const [first, ...wakes] = r.links;
    out.push({
      name: c.name,
      peakMemoryBytes: high,
      completesUnder1MiB: atOneMib !== undefined,
      memoryUsedEstimateBytes: atOneMib?.memoryUsedEstimateBytes,
      bundleBytes: best.bundleBytes,
      handshakeMs: first?.handshakeMs,
      bytesPerHandshake: first?.handshakeBytes,
      bytesPerCall: r.calls["unary"],
      sleepStateBytes: best.sleepStateBytes,
      negotiated: r.infos[0],
      wakes: c.config.wakeModes.map((mode, i) => ({
        mode,
        roundTripsPerWake: wakes[i]?.flightsToConnect,
        wakeBytes: wakes[i] === undefined ? undefined : wakes[i]!.up + wakes[i]!.down,
        handshakeMs: wakes[i]?.handshakeMs,
        resumed: r.infos[i + 1]?.resumed,
        pskMode: r.infos[i + 1]?.pskMode,
      })),
    });
  }
} finally {
  await setup.dispose();
}
const quickjs = (createRequire(import.meta.url)("quickjs-emscripten/package.json") as { version: string })
  .version;
console.log(
  JSON.stringify(
    { node: process.version, quickjs, resolutionBytes: PEAK_RESOLUTION_BYTES, configurations: out },
    null,
    2,
  ),
);
