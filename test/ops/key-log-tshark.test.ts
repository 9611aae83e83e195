/**
 * Issue 10's key log acceptance check: `pqrpc serve` with SSLKEYLOGFILE
 * writes the NSS key log; tshark (Debian, installed by
 * scripts/ensure-tshark.sh) captures one pqrpc h2 session on loopback and,
 * given the key log, shows the gRPC :path.
 *
 * The lines come from the TLS engine's `keyLog` config callback
 * (src/tls/key-log.ts), plumbed through ServerOptions.keyLog.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runEnsureScript, runProcess } from "../interop/child-process.ts";
import { type DemoServe, startDemoServe } from "./serve-process.ts";

const INSTALL_TIMEOUT_MS = 300_000;
const CAPTURE_START_TIMEOUT_MS = 30_000;
const DECODE_TIMEOUT_MS = 60_000;
const CAPTURE_DRAIN_TIMEOUT_MS = 30_000;
const PATH = "/helloworld.Greeter/SayHello";

describe("SSLKEYLOGFILE decrypts a real capture with tshark", () => {
  let tshark: string;
  let serve: DemoServe;
  let keyLog: string;

  before(async () => {
    ({ path: tshark } = await runEnsureScript("ensure-tshark.sh", INSTALL_TIMEOUT_MS));
    keyLog = join(await mkdtemp(join(tmpdir(), "pqrpc-keylog-")), "keys.log");
    serve = await startDemoServe(["--alpn", "h2"], { ...process.env, SSLKEYLOGFILE: keyLog });
  });
  after(async () => {
    await serve?.stop();
  });

  it("serve warns that the key log is on and creates it owner-only", async () => {
    assert.match(serve.process.output(), /SSLKEYLOGFILE is set: TLS secrets .* file=\S*keys\.log/);
    assert.equal((await stat(keyLog)).mode & 0o777, 0o600);
  });

  it("tshark shows the gRPC :path of a captured h2 session", async () => {
    const capture = join(serve.dir, "session.pcapng");
    const port = serve.process.port;
    // -P -l: a line per captured packet while writing, so the test knows when the session's
    // last packets are in (dumpcap delivers them with a lag; a SIGINT right away loses them).
    const child: ChildProcess = spawn(
      tshark,
      ["-i", "lo", "-f", `tcp port ${port}`, "-w", capture, "-P", "-l"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let summary = "";
    const closedSeen = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`tshark did not see the session close: ${summary}`)),
        CAPTURE_DRAIN_TIMEOUT_MS,
      );
      child.stdout!.on("data", (d: Buffer) => {
        summary += d.toString();
        // Both FINs (or a reset): everything of the session has been captured.
        if ((summary.match(/\bFIN\b/g)?.length ?? 0) >= 2 || /\bRST\b/.test(summary)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    process.once("exit", () => child.kill("SIGKILL"));
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`tshark did not start: ${stderr}`)),
        CAPTURE_START_TIMEOUT_MS,
      );
      child.stderr!.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (/Capturing on/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => reject(new Error(`tshark exited with ${code}: ${stderr}`)));
    });
    assert.match(await serve.sayHello("h2"), /ops/);
    await closedSeen;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGINT");
    await exited;

    const lines = (await readFile(keyLog, "utf8")).split("\n").filter((l) => l !== "");
    for (const label of [
      "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
      "SERVER_HANDSHAKE_TRAFFIC_SECRET",
      "CLIENT_TRAFFIC_SECRET_0",
      "SERVER_TRAFFIC_SECRET_0",
      "EXPORTER_SECRET",
    ]) {
      assert.ok(
        lines.some((l) => l.startsWith(`${label} `)),
        `key log has ${label}`,
      );
    }
    const decoded = await runProcess(
      tshark,
      [
        "-r",
        capture,
        "-o",
        `tls.keylog_file:${keyLog}`,
        "-d",
        `tcp.port==${port},tls`,
        "-Y",
        "http2.headers.path",
        "-T",
        "fields",
        "-e",
        "http2.headers.path",
      ],
      { timeoutMs: DECODE_TIMEOUT_MS },
    );
    assert.equal(decoded.code, 0, decoded.stderr);
    assert.ok(
      decoded.stdout.split("\n").some((l) => l.includes(PATH)),
      `tshark shows ${PATH}: ${decoded.stdout}`,
    );
  });
});
