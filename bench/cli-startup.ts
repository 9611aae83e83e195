/**
 * `npm run bench:cli`: what the command line costs a user, measured on the
 * compiled CLI (bin/pqrpc.mjs -> dist/, what `npm install pqrpc` runs).
 *
 * - `pqrpc --help`, `pqrpc --version` and `pqrpc call --help`: wall time per
 *   process (target: median <= 0.3 s);
 * - `pqrpc call` of a unary method on a local `pqrpc serve --demo`: the
 *   process's wall time minus what the call itself took (TCP connect + TLS
 *   handshake + the call, as `-v` reports them): the CLI's own start-up and
 *   exit (target: median <= 0.4 s);
 * - an unknown method (refused before connecting).
 *
 * Medians of PQRPC_BENCH_RUNS runs (default 11), interleaved. Prints a table
 * and, with PQRPC_BENCH_JSON=FILE, writes the figures as JSON.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(REPO_ROOT, "bin/pqrpc.mjs");
const RUNS = Number(process.env["PQRPC_BENCH_RUNS"] ?? 11);
const RUN_TIMEOUT_MS = 60_000;

interface Timed {
  readonly wallMs: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

function timeCli(args: readonly string[]): Promise<Timed> {
  return new Promise((resolveRun) => {
    const start = performance.now();
    execFile(process.execPath, [CLI, ...args], { timeout: RUN_TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolveRun({ wallMs: performance.now() - start, stdout, stderr, code });
    });
  });
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The call's own time from `-v`: "tcp X ms, TLS handshake Y ms" and "status OK after Z ms". */
function callOwnMs(stderr: string): number {
  const connect = /tcp ([\d.]+) ms, TLS handshake ([\d.]+) ms/.exec(stderr);
  const status = /status OK after ([\d.]+) ms/.exec(stderr);
  if (connect === null || status === null) throw new Error(`pqrpc call -v printed no timings:\n${stderr}`);
  return Number(connect[1]) + Number(connect[2]) + Number(status[1]);
}

async function startServer(dir: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "serve",
      "--demo",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--cert",
      join(dir, "server.pem"),
      "--key",
      join(dir, "server.key"),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  const port = await new Promise<number>((resolvePort, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on \S*:(\d+)/.exec(out);
      if (m) resolvePort(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`pqrpc serve exited ${code}: ${out}`)));
  });
  return {
    port,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(os.tmpdir(), "pqrpc-bench-cli-"));
  try {
    const init = await timeCli(["certs", "init", "--dir", dir]);
    if (init.code !== 0) throw new Error(`certs init failed: ${init.stderr}`);
    const server = await startServer(dir);
    const addr = `127.0.0.1:${server.port}`;
    const call = [
      "call",
      addr,
      "helloworld.Greeter/SayHello",
      "-d",
      '{"name":"bench"}',
      "--ca",
      join(dir, "ca.pem"),
      "-v",
    ];
    const rows: Record<string, number[]> = {
      "pqrpc --help": [],
      "pqrpc --version": [],
      "pqrpc call --help": [],
      "pqrpc call (wall)": [],
      "pqrpc call (its handshake + call)": [],
      "pqrpc call (CLI overhead)": [],
      "pqrpc call, unknown method": [],
    };
    try {
      // One unmeasured run of each warms the file-system cache, as a user's second run would be.
      await timeCli(["--help"]);
      await timeCli(call);
      for (let i = 0; i < RUNS; i++) {
        rows["pqrpc --help"]!.push((await timeCli(["--help"])).wallMs);
        rows["pqrpc --version"]!.push((await timeCli(["--version"])).wallMs);
        rows["pqrpc call --help"]!.push((await timeCli(["call", "--help"])).wallMs);
        const r = await timeCli(call);
        if (r.code !== 0) throw new Error(`pqrpc call failed: ${r.stderr}`);
        const own = callOwnMs(r.stderr);
        rows["pqrpc call (wall)"]!.push(r.wallMs);
        rows["pqrpc call (its handshake + call)"]!.push(own);
        rows["pqrpc call (CLI overhead)"]!.push(r.wallMs - own);
        const unknown = await timeCli(["call", addr, "helloworld.Greeter/Nope", "--ca", join(dir, "ca.pem")]);
        if (unknown.code !== 2) throw new Error(`unknown method: exit ${unknown.code}: ${unknown.stderr}`);
        rows["pqrpc call, unknown method"]!.push(unknown.wallMs);
      }
    } finally {
      await server.stop();
    }
    console.log(
      `bench:cli on ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, ` +
        `load ${os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(" ")}; medians of ${RUNS} runs (min-max)`,
    );
    const summary: Record<string, { medianMs: number; minMs: number; maxMs: number }> = {};
    for (const [name, values] of Object.entries(rows)) {
      const m = median(values);
      summary[name] = { medianMs: m, minMs: Math.min(...values), maxMs: Math.max(...values) };
      console.log(
        `  ${name.padEnd(36)} ${m.toFixed(0).padStart(6)} ms  (${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)})`,
      );
    }
    console.log(
      `targets: --help median <= 300 ms: ${summary["pqrpc --help"]!.medianMs <= 300 ? "met" : "MISSED"}; ` +
        `call overhead median <= 400 ms: ${summary["pqrpc call (CLI overhead)"]!.medianMs <= 400 ? "met" : "MISSED"}`,
    );
    const jsonPath = process.env["PQRPC_BENCH_JSON"];
    if (jsonPath) await writeFile(jsonPath, JSON.stringify(summary, null, 2));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
