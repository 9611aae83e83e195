/**
 * The host of the QuickJS device (issue 8 part 6): QuickJS compiled to
 * WebAssembly (npm quickjs-emscripten) with a memory limit and a bounded
 * stack runs dist/device/pqrpc-device.js and test/device/guest-app.js; this
 * host only carries bytes between the guest and a TCP socket to a pqrpc
 * server, and time (ms) into it. QuickJS enforces the memory limit on every
 * allocation (a run over it fails with an out-of-memory error), so a run that
 * completes used less; `memoryUsedEstimateBytes` is the largest of QuickJS's
 * own estimates (memory_used_size) read after every turn, which runs above the
 * real allocation. bench/device-footprint.ts finds the real peak by searching
 * for the smallest limit a run completes under.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { getQuickJS, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime } from "quickjs-emscripten";
import { REPO_ROOT } from "../interop/child-process.ts";

export const DEVICE_BUNDLE = join(REPO_ROOT, "dist/device/pqrpc-device.js");
export const DEVICE_X509_BUNDLE = join(REPO_ROOT, "dist/device/pqrpc-device-x509.js");
const PRELUDE = join(REPO_ROOT, "test/device/quickjs-prelude.js");
const GUEST_APP = join(REPO_ROOT, "test/device/guest-app.js");
/** QuickJS's stack limit for the guest, bytes. */
export const GUEST_STACK_BYTES = 256 * 1024;
/** A run that takes longer is a hang, ms. */
const RUN_TIMEOUT_MS = 120_000;

export interface GuestConfig {
  readonly serverName: string;
  readonly psk?: { readonly identity: string; readonly key: string };
  readonly caDer?: string;
  readonly recordSizeLimit: number;
  readonly readings: readonly string[];
  readonly wakeModes: readonly ("psk_dhe_ke" | "psk_ke")[];
}

export interface GuestLink {
  readonly up: number;
  readonly down: number;
  /** Chunks received from the server on this link, and how many came before the handshake was done. */
  readonly flights: number;
  readonly flightsToConnect: number;
  readonly handshakeMs: number;
  readonly handshakeBytes: number;
}

export interface GuestResults {
  readonly steps: string[];
  /** Bytes on the wire per call (request, response, trailers), by step. */
  readonly calls: Record<string, number>;
  readonly links: GuestLink[];
  readonly replies: Record<string, string[]>;
  readonly infos: {
    group?: string;
    cipherSuite: string;
    signatureScheme?: string;
    pskMode?: string;
    resumed: boolean;
  }[];
  readonly error?: string;
}

export interface LinkStats {
  /** Bytes each way on this link. */
  readonly up: number;
  readonly down: number;
  /** Times the guest waited for the server after sending: round trips. */
  readonly roundTrips: number;
  /** Round trips before the first call's reply arrived after the connection was up. */
  readonly connectMs: number;
}

export interface DeviceRun {
  readonly results: GuestResults;
  readonly memoryUsedEstimateBytes: number;
  readonly bundleBytes: number;
  readonly sleepStateBytes: number;
  /** One per connection: the first, then one per wake. */
  readonly links: LinkStats[];
}

export interface RunOptions {
  /** The device bundle to load (default DEVICE_BUNDLE, the PSK build). */
  readonly bundle?: string;
  readonly config: GuestConfig;
  readonly memoryLimitBytes: number;
  /** Where the server is for each link (the test may restart it between links). */
  readonly serverPort: (link: number) => Promise<number>;
}

function call(vm: QuickJSContext, name: string, ...args: QuickJSHandle[]): QuickJSHandle {
  const app = vm.getProp(vm.global, "app");
  const fn = vm.getProp(app, name);
  const r = vm.callFunction(fn, app, ...args);
  fn.dispose();
  app.dispose();
  for (const a of args) a.dispose();
  if (r.error) {
    const e = vm.dump(r.error);
    r.error.dispose();
    throw new Error(`guest ${name}: ${typeof e === "object" ? JSON.stringify(e) : String(e)}`);
  }
  return r.value;
}

function evalFile(vm: QuickJSContext, path: string): void {
  const r = vm.evalCode(readFileSync(path, "utf8"), path);
  if (r.error) {
    const e = vm.dump(r.error);
    r.error.dispose();
    throw new Error(`loading ${path}: ${JSON.stringify(e)}`);
  }
  r.value.dispose();
}

function memoryUsed(rt: QuickJSRuntime, vm: QuickJSContext): number {
  const h = rt.computeMemoryUsage();
  const usage = vm.dump(h) as { memory_used_size: number };
  h.dispose();
  return usage.memory_used_size;
}

/** Runs the guest app to its end; rejects on a guest error, a memory limit hit, or a hang. */
export async function runDeviceInQuickJs(options: RunOptions): Promise<DeviceRun> {
  const QuickJS = await getQuickJS();
  const rt = QuickJS.newRuntime();
  rt.setMemoryLimit(options.memoryLimitBytes);
  rt.setMaxStackSize(GUEST_STACK_BYTES);
  const vm = rt.newContext();
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, memoryUsed(rt, vm));
  };
  try {
    const random = vm.newFunction("__hostRandom", (n) =>
      vm.newArrayBuffer(randomBytes(vm.getNumber(n)).buffer),
    );
    vm.setProp(vm.global, "__hostRandom", random);
    random.dispose();
    evalFile(vm, PRELUDE);
    evalFile(vm, options.bundle ?? DEVICE_BUNDLE);
    evalFile(vm, GUEST_APP);
    sample();
    call(vm, "start", vm.newString(JSON.stringify(options.config)), vm.newNumber(Date.now())).dispose();
    sample();
    const links: LinkStats[] = [];
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (let link = 0; ; link++) {
      const port = await options.serverPort(link);
      if (link > 0) {
        // The device wakes when its link is there: its ClientHello carries the ticket's age,
        // which the server checks against its own clock (RFC 8446 §4.2.11.1).
        call(vm, "wake", vm.newNumber(Date.now())).dispose();
        sample();
      }
      links.push(await runLink(vm, port, sample, deadline));
      if (vm.dump(call(vm, "state")) !== "sleep") break;
    }
    const results = JSON.parse(vm.dump(call(vm, "results")) as string) as GuestResults;
    const sleepStateBytes = vm.dump(call(vm, "sleepStateBytes")) as number;
    return {
      results,
      memoryUsedEstimateBytes: peak,
      bundleBytes: readFileSync(options.bundle ?? DEVICE_BUNDLE).length,
      sleepStateBytes,
      links,
    };
  } finally {
    vm.dispose();
    rt.dispose();
  }
}

/** One TCP connection: until the guest sleeps or is done. */
async function runLink(
  vm: QuickJSContext,
  port: number,
  sample: () => void,
  deadline: number,
): Promise<LinkStats> {
  const socket: Socket = connect({ host: "127.0.0.1", port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const started = Date.now();
  let up = 0;
  let down = 0;
  let roundTrips = 0;
  let waitingForServer = false;
  const inbox: Buffer[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  socket.on("data", (d: Buffer) => {
    inbox.push(d);
    wake?.();
  });
  socket.on("close", () => {
    closed = true;
    wake?.();
  });
  socket.on("error", () => {});
  const flush = () => {
    for (;;) {
      const out = call(vm, "takeOutgoing");
      const bytes = vm.typeof(out) === "undefined" ? undefined : vm.getArrayBuffer(out);
      out.dispose();
      if (bytes === undefined) break;
      const copy = Buffer.from(bytes.value);
      bytes.dispose();
      up += copy.length;
      socket.write(copy);
      waitingForServer = true;
    }
    sample();
  };
  try {
    flush();
    while (vm.dump(call(vm, "state")) === "run") {
      if (Date.now() > deadline) throw new Error("the device run did not finish in time");
      if (inbox.length === 0 && !closed) {
        const due = vm.dump(call(vm, "nextDeadline")) as number;
        await new Promise<void>((resolve) => {
          const t = due < 0 ? undefined : setTimeout(resolve, Math.max(0, due - Date.now()));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
      if (inbox.length > 0) {
        if (waitingForServer) roundTrips++;
        waitingForServer = false;
        const data = Buffer.concat(inbox.splice(0));
        down += data.length;
        call(
          vm,
          "receive",
          vm.newArrayBuffer(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)),
          vm.newNumber(Date.now()),
        ).dispose();
      } else if (closed) {
        throw new Error("the server closed the connection");
      } else {
        call(vm, "poll", vm.newNumber(Date.now())).dispose();
      }
      sample();
      flush();
    }
    return { up, down, roundTrips, connectMs: Date.now() - started };
  } finally {
    await new Promise<void>((resolve) => socket.end(resolve));
    socket.destroy();
  }
}
