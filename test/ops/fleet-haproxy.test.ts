/**
 * Fleet acceptance (issue 10 part 7): three `pqrpc serve` processes behind
 * Debian's HAProxy (TCP mode, round robin) share one ticket key file. A
 * client reconnects through HAProxy again and again, each time offering the
 * ticket it got last: every reconnection after the first must resume, on
 * every backend; `pqrpc tickets rotate` mid-run must not cost a resumption
 * and its new key must take over sealing; a backend restarted mid-run must
 * resume tickets the others issued. Which backend served each connection is
 * read from HAProxy's own statistics (its stats socket).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { toHex } from "../../src/bytes/bytes.ts";
import { loadTrust } from "../../src/pki/load.ts";
import type { TrustStore } from "../../src/pki/trust-store.ts";
import { readTicketKeyFile } from "../../src/server/ticket-key-file.ts";
import type { ResumptionSession } from "../../src/tls/config.ts";
import { ticketKeyId } from "../../src/tls/ticket-sealer.ts";
import { connectTls } from "../../src/transport/tls-connect.ts";
import {
  runEnsureScript,
  runProcess,
  type ServerProcess,
  startServerProcess,
} from "../interop/child-process.ts";
import { freePort, PQRPC_BIN, SERVE_START_TIMEOUT_MS } from "./serve-process.ts";

const BACKENDS = 3;
const RECONNECTS = 30;
/** Rotate after this many reconnections, restart a backend after this many. */
const ROTATE_AT = 10;
const RESTART_AT = 20;
/** --activate-after of the rotation: longer than every backend takes to reload the file. */
const ACTIVATE_AFTER_S = 3;
const INSTALL_TIMEOUT_MS = 600_000;
const TEST_TIMEOUT_MS = 300_000;
/** How long a connection waits for its NewSessionTicket (sent right after the handshake). */
const TICKET_WAIT_MS = 20_000;
const HAPROXY_START_TIMEOUT_MS = 30_000;

function haproxyConfig(dir: string, frontPort: number, backendPorts: readonly number[]): string {
  return [
    "global",
    `  stats socket ${join(dir, "haproxy.sock")} mode 600 level admin`,
    "defaults",
    "  mode tcp",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    // A backend that is down (restarting) gets no connection for long: retry elsewhere.
    "  retries 3",
    "  option redispatch",
    "frontend pqrpc",
    `  bind 127.0.0.1:${frontPort}`,
    "  default_backend fleet",
    "backend fleet",
    "  balance roundrobin",
    ...backendPorts.map((p, i) => `  server s${i + 1} 127.0.0.1:${p} check inter 300ms fall 1 rise 1`),
    "",
  ].join("\n");
}

/** "show stat" on HAProxy's stats socket: total sessions per server of the backend. */
async function sessionsPerBackend(socketPath: string): Promise<Map<string, number>> {
  const csv = await new Promise<string>((resolve, reject) => {
    const s = netConnect(socketPath);
    let out = "";
    s.setEncoding("utf8");
    s.on("data", (d: string) => (out += d));
    s.on("end", () => resolve(out));
    s.on("error", reject);
    s.write("show stat\n");
  });
  const [header, ...rows] = csv.replace(/^# /, "").trim().split("\n");
  const cols = header!.split(",");
  const [px, sv, stot] = ["pxname", "svname", "stot"].map((c) => cols.indexOf(c));
  const out = new Map<string, number>();
  for (const row of rows) {
    const f = row.split(",");
    if (f[px!] === "fleet" && /^s\d+$/.test(f[sv!] ?? "")) out.set(f[sv!]!, Number(f[stot!]));
  }
  return out;
}

/** HAProxy in the foreground (-db); it prints nothing once up, so readiness is a connect to its port. */
async function startHaproxy(bin: string, config: string, port: number): Promise<{ stop(): Promise<void> }> {
  const child = spawn(bin, ["-db", "-f", config], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    process.off("exit", kill);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
  };
  const deadline = Date.now() + HAPROXY_START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${output}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = netConnect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (up) return { stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy did not listen on ${port} within ${HAPROXY_START_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("three pqrpc serve processes behind HAProxy share ticket keys", () => {
  let haproxy: string;
  let dir: string;
  let trust: TrustStore;
  let keyFile: string;
  const backends: ServerProcess[] = [];
  let ports: number[] = [];
  let proxy: { stop(): Promise<void> } | undefined;

  const startBackend = (port: number) =>
    startServerProcess(
      process.execPath,
      [
        PQRPC_BIN,
        "serve",
        "--demo",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--alpn",
        "pqrpc/1",
        "--cert",
        join(dir, "server.pem"),
        "--key",
        join(dir, "server.key"),
        "--ticket-keys",
        keyFile,
      ],
      {
        what: `pqrpc serve on ${port}`,
        portPattern: /listening on 127\.0\.0\.1:(\d+)/,
        startTimeoutMs: SERVE_START_TIMEOUT_MS,
      },
    );

  before(
    async () => {
      haproxy = (await runEnsureScript("ensure-haproxy.sh", INSTALL_TIMEOUT_MS)).path;
      dir = await mkdtemp(join(tmpdir(), "pqrpc-fleet-"));
      keyFile = join(dir, "ticket-keys.json");
      for (const args of [
        ["certs", "init", "--dir", dir],
        ["tickets", "init", keyFile],
      ]) {
        const r = await runProcess(process.execPath, [PQRPC_BIN, ...args], { timeoutMs: 60_000 });
        assert.equal(r.code, 0, `pqrpc ${args.join(" ")}: ${r.stderr}`);
      }
      trust = await loadTrust(join(dir, "ca.pem"));
      ports = await Promise.all(Array.from({ length: BACKENDS }, () => freePort()));
      for (const p of ports) backends.push(await startBackend(p));
    },
    { timeout: INSTALL_TIMEOUT_MS },
  );
  after(async () => {
    await proxy?.stop();
    for (const b of backends) await b.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`${RECONNECTS} reconnections resume on every backend, across a key rotation and a backend restart`, {
    timeout: TEST_TIMEOUT_MS,
  }, async (t) => {
    const front = await freePort();
    const config = join(dir, "haproxy.cfg");
    await writeFile(config, haproxyConfig(dir, front, ports));
    proxy = await startHaproxy(haproxy, config, front);

    let session: ResumptionSession | undefined;
    const resumed: boolean[] = [];
    const ticketKeys: string[] = [];
    let rotatedKey: string | undefined;
    let activatesAt = 0;
    for (let i = 0; i < RECONNECTS; i++) {
      if (i === ROTATE_AT) {
        const before = (await readTicketKeyFile(keyFile)).length;
        const r = await runProcess(
          process.execPath,
          [PQRPC_BIN, "tickets", "rotate", keyFile, "--activate-after", String(ACTIVATE_AFTER_S)],
          { timeoutMs: 60_000 },
        );
        assert.equal(r.code, 0, r.stderr);
        const keys = await readTicketKeyFile(keyFile);
        assert.equal(keys.length, before + 1);
        rotatedKey = toHex(keys.at(-1)!.id);
        activatesAt = keys.at(-1)!.activatesMs;
        // Every backend reports the reload before the new key may seal anywhere.
        const reloaded = (b: ServerProcess) =>
          (b.output().match(/loaded \d+ ticket key\(s\)/g) ?? []).length >= 2;
        while (!backends.every(reloaded)) await new Promise((r) => setTimeout(r, 50));
        t.diagnostic(`rotated: key ${rotatedKey} activates ${new Date(activatesAt).toISOString()}`);
      }
      if (i === RESTART_AT) {
        // From here on every ticket is sealed with the rotated key.
        while (Date.now() <= activatesAt) await new Promise((r) => setTimeout(r, 50));
        await backends[1]!.stop();
        backends[1] = await startBackend(ports[1]!);
        t.diagnostic(`restarted the backend on port ${ports[1]}`);
      }
      let gotTicket!: (s: ResumptionSession) => void;
      let timer: NodeJS.Timeout | undefined;
      const ticket = new Promise<ResumptionSession>((resolve, reject) => {
        gotTicket = resolve;
        timer = setTimeout(() => reject(new Error("no NewSessionTicket")), TICKET_WAIT_MS);
      });
      const tls = await connectTls("127.0.0.1", front, {
        serverName: "localhost",
        verifier: trust,
        alpnProtocols: ["pqrpc/1"],
        ...(session === undefined ? {} : { session }),
        onSessionTicket: (s) => gotTicket(s),
      });
      try {
        resumed.push(tls.info!.resumed);
        session = await ticket;
        ticketKeys.push(toHex(ticketKeyId(session.ticket) ?? new Uint8Array(0)));
      } finally {
        clearTimeout(timer);
        tls.destroy();
      }
    }

    const served = await sessionsPerBackend(join(dir, "haproxy.sock"));
    t.diagnostic(`resumed: ${resumed.map((r) => (r ? "R" : "F")).join("")}`);
    t.diagnostic(`sessions per backend: ${[...served].map(([s, n]) => `${s}=${n}`).join(" ")}`);
    assert.equal(resumed[0], false, "the first connection is a full handshake");
    assert.deepEqual(
      resumed.slice(1).map((r, i) => (r ? "resumed" : `full handshake at reconnection ${i + 1}`)),
      Array(RECONNECTS - 1).fill("resumed"),
    );
    assert.equal(served.size, BACKENDS);
    for (const [name, n] of served) assert.ok(n >= 2, `backend ${name} served ${n} connection(s)`);
    // One key sealed before the rotation, the rotated key once it was active, on every backend.
    const first = ticketKeys[0]!;
    assert.notEqual(first, rotatedKey);
    assert.deepEqual(new Set(ticketKeys.slice(0, ROTATE_AT)), new Set([first]));
    assert.deepEqual(new Set(ticketKeys.slice(RESTART_AT)), new Set([rotatedKey]));
  });
});
