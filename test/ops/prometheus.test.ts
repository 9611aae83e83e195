/**
 * Issue 10's acceptance check: a real Prometheus (Debian's package, installed
 * by scripts/ensure-prometheus.sh) scrapes `pqrpc serve --metrics` on
 * loopback with its own scrape config; its HTTP API then has
 * rpc_server_call_duration_seconds_count for the called method and the
 * handshake-duration series labelled X25519MLKEM768.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { runEnsureScript } from "../interop/child-process.ts";
import { type DemoServe, freePort, startDemoServe } from "./serve-process.ts";

const INSTALL_TIMEOUT_MS = 300_000;
/** Prometheus start-up plus a few 1 s scrapes. */
const QUERY_TIMEOUT_MS = 60_000;
const POLL_MS = 500;
const METHOD = "helloworld.Greeter/SayHello";

interface QueryResult {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

describe("Prometheus scrapes pqrpc serve --metrics", () => {
  let serve: DemoServe;
  let prometheus: ChildProcess | undefined;
  let promPort: number;
  let promLog = "";

  before(async () => {
    const { path: prometheusBin } = await runEnsureScript("ensure-prometheus.sh", INSTALL_TIMEOUT_MS);
    const metricsPort = await freePort();
    serve = await startDemoServe(["--metrics", `127.0.0.1:${metricsPort}`]);
    promPort = await freePort();
    const config = join(serve.dir, "prometheus.yml");
    await writeFile(
      config,
      [
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "scrape_configs:",
        "  - job_name: pqrpc",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${metricsPort}"]`,
        "",
      ].join("\n"),
    );
    prometheus = spawn(
      prometheusBin,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(serve.dir, "tsdb")}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prometheus.stderr!.on("data", (d: Buffer) => {
      promLog = (promLog + d.toString()).slice(-8000);
    });
    process.once("exit", () => prometheus?.kill("SIGKILL"));
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once("exit", resolve));
      prometheus.kill("SIGTERM");
      await exited;
    }
    await serve?.stop();
  });

  async function query(promql: string): Promise<QueryResult[]> {
    const deadline = Date.now() + QUERY_TIMEOUT_MS;
    let last = "";
    for (;;) {
      try {
        const r = await fetch(
          `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(promql)}`,
        );
        const body = (await r.json()) as { status: string; data?: { result: QueryResult[] } };
        last = JSON.stringify(body);
        if (body.status === "success" && (body.data?.result.length ?? 0) > 0) return body.data!.result;
      } catch (e) {
        last = String(e);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `Prometheus has no ${promql} after ${QUERY_TIMEOUT_MS} ms: ${last}\n${promLog}\n${serve.process.output()}`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  it("finds the call count of the called method and the X25519MLKEM768 handshake series", async () => {
    assert.match(await serve.sayHello("pqrpc/1"), /ops/);
    assert.match(await serve.sayHello("h2"), /ops/);
    const calls = await query(`rpc_server_call_duration_seconds_count{rpc_method="${METHOD}"}`);
    const systems = new Set(calls.map((c) => c.metric.rpc_system_name));
    assert.deepEqual([...systems].sort(), ["grpc", "pqrpc"]);
    for (const c of calls) {
      assert.equal(c.metric.rpc_response_status_code, "OK");
      assert.equal(Number(c.value[1]), 1);
    }
    const handshakes = await query(
      `pqrpc_tls_handshake_duration_seconds_count{pqrpc_tls_group="X25519MLKEM768"}`,
    );
    const total = handshakes.reduce((n, h) => n + Number(h.value[1]), 0);
    assert.ok(total >= 2, `two handshakes labelled X25519MLKEM768, got ${total}`);
    assert.equal(handshakes[0]!.metric.pqrpc_tls_signature_scheme, "ml-dsa-65");
    assert.equal(handshakes[0]!.metric.job, "pqrpc");
  });
});
