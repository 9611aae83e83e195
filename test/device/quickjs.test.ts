/**
 * The device in a small JS runtime (issue 8 parts 5 and 6): pqrpc/device
 * inside QuickJS (WebAssembly, 1 MiB memory limit, bounded stack) against an
 * ordinary pqrpc server in its own process. PSK + ML-KEM-768 handshake, a
 * unary call, a server stream, a client-stream upload of sensor readings,
 * sleep; the server process is restarted (same ticket key file: a stateless
 * server keeps nothing per client between connections), then the device
 * wakes from its sleep bytes with psk_dhe_ke, sleeps, and wakes with psk_ke.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ServerProcess } from "../interop/child-process.ts";
import { type DeviceServerSetup, setUpDeviceServer } from "./device-server-process.ts";
import { type DeviceRun, runDeviceInQuickJs } from "./quickjs-host.ts";

const MIB = 1024 * 1024;
/** The target for the PSK profile's peak memory in QuickJS. */
const PSK_PEAK_TARGET_BYTES = 512 * 1024;
/** Less than loading the PSK bundle takes (about 260 KiB; see npm run device:footprint). */
const TOO_SMALL_BYTES = 128 * 1024;
const READINGS = ["21.5", "21.7", "21.6", "21.9"];

describe("pqrpc/device in QuickJS with a 1 MiB memory limit", () => {
  let setup: DeviceServerSetup;
  let server: ServerProcess | undefined;
  let starts = 0;
  const startServer = async () => {
    server = await setup.start();
    starts++;
    return server.port;
  };

  before(async () => {
    setup = await setUpDeviceServer();
  });
  after(async () => {
    await setup?.dispose();
  });

  it("PSK profile: every step, with the server process restarted between sleep and wake", {
    timeout: 300_000,
  }, async (t) => {
    let run: DeviceRun;
    try {
      run = await runDeviceInQuickJs({
        memoryLimitBytes: MIB,
        config: {
          serverName: "localhost",
          psk: setup.psk,
          recordSizeLimit: 2048,
          readings: READINGS,
          wakeModes: ["psk_dhe_ke", "psk_ke"],
        },
        serverPort: async (link) => {
          // Link 1 is the first wake: a new server process, nothing of the first connection in memory.
          if (link === 1) await server!.stop();
          return link === 1 || server === undefined ? startServer() : server.port;
        },
      });
    } catch (e) {
      t.diagnostic(`server output:\n${server?.output()}`);
      throw e;
    }
    const { results } = run;
    t.diagnostic(
      JSON.stringify({
        memoryUsedEstimateBytes: run.memoryUsedEstimateBytes,
        bundleBytes: run.bundleBytes,
        links: run.links,
      }),
    );
    assert.equal(results.error, undefined);
    assert.deepEqual(results.steps, [
      "connect",
      "unary",
      "server-stream",
      "upload",
      "sleep",
      "wake",
      "wake-call",
      "sleep",
      "wake",
      "wake-call",
      "sleep",
    ]);
    assert.deepEqual(results.replies["unary"], ["hello sensor-1"]);
    assert.deepEqual(results.replies["server-stream"]?.length, 3);
    assert.match(results.replies["server-stream"]![0]!, /^hello sensor-1 \(1\/3\)$/);
    assert.deepEqual(results.replies["upload"], [`hello to all ${READINGS.length} of you`]);
    assert.deepEqual(results.replies["wake-call1"], ["hello awake"]);
    assert.deepEqual(results.replies["wake-call0"], ["hello awake"]);
    const [first, dhe, ke] = results.infos;
    assert.deepEqual(
      { group: first?.group, suite: first?.cipherSuite, mode: first?.pskMode },
      { group: "MLKEM768", suite: "TLS_CHACHA20_POLY1305_SHA256", mode: "psk_dhe_ke" },
    );
    assert.deepEqual([dhe?.resumed, dhe?.pskMode, dhe?.group], [true, "psk_dhe_ke", "MLKEM768"]);
    assert.deepEqual([ke?.resumed, ke?.pskMode, ke?.group], [true, "psk_ke", undefined]);
    assert.equal(starts, 2, "the server process was restarted between sleep and wake");
    // Every allocation was checked against the 1 MiB limit: completing is the memory assertion.
    assert.ok(run.bundleBytes < 200 * 1024, `device bundle of ${run.bundleBytes} bytes`);
    const wake = run.links[2]!;
    assert.ok(wake.up + wake.down <= 2048, `a psk_ke wake cycle of ${wake.up + wake.down} bytes`);
  });

  it("peakMemoryBytes: the PSK run fits in 512 KiB, and a limit below the bundle's needs is hit", {
    timeout: 300_000,
  }, async () => {
    const config = {
      serverName: "localhost",
      psk: setup.psk,
      recordSizeLimit: 2048,
      readings: READINGS,
      wakeModes: ["psk_ke"],
    } as const;
    const port = async () => server?.port ?? startServer();
    // QuickJS checks every allocation against the limit: a run that completes under it peaked below it.
    const fits = await runDeviceInQuickJs({
      memoryLimitBytes: PSK_PEAK_TARGET_BYTES,
      config,
      serverPort: port,
    });
    assert.equal(fits.results.error, undefined);
    assert.equal(fits.results.steps.at(-1), "sleep");
    // The limit is real: far below what loading the bundle takes, the run fails with out of memory.
    await assert.rejects(
      runDeviceInQuickJs({ memoryLimitBytes: TOO_SMALL_BYTES, config, serverPort: port }),
      /out of memory/,
    );
  });
});
