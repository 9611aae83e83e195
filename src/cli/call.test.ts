/**
 * `pqrpc certs init` -> a pqrpc server -> `pqrpc call` and `pqrpc bench`,
 * end to end: the four call kinds over pqrpc/1 and h2, -v, --proto compiled
 * by buf, bench --json, and the error cases with their one-line messages and
 * exit codes (spawned as a user runs them).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { loadWasmProvider } from "../crypto/index.ts";
import type { BenchReport } from "./bench.ts";
import { runCall } from "./call.ts";
import { type CertDir, makeCerts, REPO_ROOT, runInProcess, runSpawned } from "./cli-test-helpers.ts";
import { startTestRpcServer, type TestRpcServer } from "./test-rpc-server.ts";

const lines = (text: string) =>
  text
    .trim()
    .split("\n")
    .filter((l) => l.length > 0);

describe("pqrpc call and bench, end to end", () => {
  let certs: CertDir;
  let otherCa: CertDir;
  let server: TestRpcServer;
  let addr: string;

  before(async () => {
    await loadWasmProvider();
    // The certificates come from the CLI as a user makes them, spawned.
    certs = await makeCerts("ml-dsa-65");
    otherCa = await makeCerts("ml-dsa-44");
    const spawned = await runSpawned([
      "certs",
      "init",
      "--dir",
      join(certs.dir, "spawned"),
      "--alg",
      "ml-dsa-65",
    ]);
    assert.equal(spawned.code, 0, spawned.stderr);
    server = await startTestRpcServer({
      chain: join(certs.dir, "spawned/server.pem"),
      key: join(certs.dir, "spawned/server.key"),
    });
    certs = { ...certs, ca: join(certs.dir, "spawned/ca.pem") };
    addr = `localhost:${server.port}`;
  });
  after(async () => {
    await server?.close();
    for (const d of [certs, otherCa]) if (d) await rm(d.dir, { recursive: true, force: true });
  });

  it("unary call, spawned: JSON response on stdout, exit 0", async () => {
    const r = await runSpawned([
      "call",
      addr,
      "helloworld.Greeter/SayHello",
      "-d",
      '{"name":"ada"}',
      "--ca",
      certs.ca,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { message: "hello ada" });
    assert.equal(r.stderr, "");
  });

  it("certs init -> serve --interop -> call, all spawned", async () => {
    const dir = join(certs.dir, "spawned");
    const serve = spawn(
      process.execPath,
      [
        join(REPO_ROOT, "bin/pqrpc.mjs"),
        "serve",
        "--interop",
        "--port",
        "0",
        "--host",
        "127.0.0.1",
        "--cert",
        join(dir, "server.pem"),
        "--key",
        join(dir, "server.key"),
      ],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let out = "";
      serve.stdout.setEncoding("utf8");
      const port = await new Promise<number>((resolvePort, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 40_000);
        serve.stdout.on("data", (t: string) => {
          out += t;
          const m = /listening on [^\s]*:(\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolvePort(Number(m[1]));
          }
        });
        serve.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
      });
      const r = await runSpawned([
        "call",
        `127.0.0.1:${port}`,
        "grpc.testing.TestService/StreamingOutputCall",
        "--servername",
        "localhost",
        "--ca",
        join(dir, "ca.pem"),
        "-d",
        '{"responseParameters":[{"size":2},{"size":3}]}',
        "-v",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        lines(r.stdout).map((l) => JSON.parse(l)),
        [{ payload: { body: "AAA=" } }, { payload: { body: "AAAA" } }],
      );
      assert.match(r.stderr, /key exchange X25519MLKEM768/);
    } finally {
      serve.kill("SIGTERM");
      if (serve.exitCode === null) await once(serve, "exit");
    }
  });

  it("server streaming over h2 and pqrpc/1: one JSON line per response; -v on stderr", async () => {
    for (const protocol of ["h2", "pqrpc/1"]) {
      const r = await runInProcess([
        "call",
        addr,
        "Greeter/LotsOfReplies",
        "-d",
        '{"name":"n","count":3}',
        "--ca",
        certs.ca,
        "--protocol",
        protocol,
        "-v",
        "-H",
        "x-echo: ignored",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        lines(r.stdout).map((l) => JSON.parse(l)),
        [{ message: "n 0" }, { message: "n 1" }, { message: "n 2" }],
      );
      assert.match(r.stderr, /key exchange X25519MLKEM768/);
      assert.match(r.stderr, new RegExp(`ALPN ${protocol} -> ${protocol}`));
      assert.match(r.stderr, /signature ml-dsa-65/);
      assert.match(r.stderr, /certificate chain verified against --ca/);
      assert.match(r.stderr, /status OK/);
    }
  });

  it("unary with -H metadata, client streaming from a JSON array and from several values", async () => {
    const u = await runInProcess([
      "call",
      addr,
      "Greeter/SayHello",
      "-d",
      '{"name":"h"}',
      "-H",
      "x-echo: from-header",
      "--ca",
      certs.ca,
    ]);
    assert.deepEqual(JSON.parse(u.stdout), { message: "hello h", names: ["from-header"] });
    const a = await runInProcess([
      "call",
      addr,
      "Greeter/LotsOfGreetings",
      "-d",
      '[{"name":"a"},{"name":"b"}]',
      "--ca",
      certs.ca,
    ]);
    assert.deepEqual(JSON.parse(a.stdout), { message: "hello 2", names: ["a", "b"] });
    const s = await runInProcess([
      "call",
      addr,
      "Greeter/LotsOfGreetings",
      "-d",
      '{"name":"x"} {"name":"y"} {"name":"z"}',
      "--ca",
      certs.ca,
    ]);
    assert.deepEqual(JSON.parse(s.stdout), { message: "hello 3", names: ["x", "y", "z"] });
  });

  it("bidi from newline-delimited JSON on stdin (-d @)", async () => {
    let stdout = "";
    let stderr = "";
    await runCall(
      [addr, "Greeter/Chat", "-d", "@", "--ca", certs.ca],
      { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
      { stdin: Readable.from(['{"name":"p"}\n', '\n{"name":"q"}\n']) },
    );
    assert.equal(stderr, "");
    assert.deepEqual(
      lines(stdout).map((l) => JSON.parse(l)),
      [{ message: "echo p" }, { message: "echo q" }],
    );
  });

  it("--proto compiles the schema with buf at run time", async () => {
    const r = await runInProcess([
      "call",
      addr,
      "grpc.testing.TestService/UnaryCall",
      "--proto",
      join(REPO_ROOT, "proto/grpc/testing/test.proto"),
      "--import-path",
      join(REPO_ROOT, "proto"),
      "-d",
      '{"responseSize":4,"payload":{"body":"AAE="}}',
      "--ca",
      certs.ca,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { payload: { body: "AAAAAA==" } });
  });

  it("bench --json: counts, status codes, latency fields and histogram", async () => {
    const r = await runInProcess([
      "bench",
      addr,
      "Greeter/SayHello",
      "-d",
      '{"name":"b"}',
      "--ca",
      certs.ca,
      "--total",
      "60",
      "--concurrency",
      "4",
      "--size",
      "512",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const b = JSON.parse(r.stdout) as BenchReport;
    assert.equal(b.count, 60);
    assert.equal(b.ok, 60);
    assert.deepEqual(b.errors, {});
    assert.equal(b.concurrency, 4);
    assert.equal(b.requestBytes, 512);
    assert.equal(b.protocol, "pqrpc/1");
    assert.equal(b.tls.group, "X25519MLKEM768");
    assert.ok(b.callsPerSecond > 0);
    const l = b.latency;
    assert.equal(l.count, 60);
    assert.ok(
      l.minMs <= l.p50Ms && l.p50Ms <= l.p90Ms && l.p90Ms <= l.p99Ms && l.p99Ms <= l.maxMs,
      JSON.stringify(l),
    );
    assert.equal(
      b.histogram.reduce((n, h) => n + h.count, 0),
      60,
    );

    const failing = await runInProcess([
      "bench",
      addr,
      "Greeter/SayHello",
      "-d",
      '{"name":"fail"}',
      "--ca",
      certs.ca,
      "--total",
      "12",
      "--json",
      "--protocol",
      "h2",
    ]);
    const f = JSON.parse(failing.stdout) as BenchReport;
    assert.equal(f.count, 12);
    assert.equal(f.ok, 0);
    assert.deepEqual(f.errors, { FAILED_PRECONDITION: 12 });
  });

  it("bench text output: histogram and percentiles", async () => {
    const r = await runInProcess(["bench", addr, "Greeter/SayHello", "--ca", certs.ca, "--total", "20"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Count: +20 \(20 ok, 0 failed\)/);
    assert.match(r.stdout, /Latency histogram:/);
    assert.match(r.stdout, /p50 [\d.]+ ms +p90 [\d.]+ ms +p95 [\d.]+ ms +p99 [\d.]+ ms/);
  });

  it("error cases, spawned: one line with the cause on stderr and a non-zero exit code", async () => {
    const [unknownCa, noMethod, refused, badJson, insecureMissing] = await Promise.all([
      runSpawned(["call", addr, "Greeter/SayHello", "--ca", otherCa.ca]),
      runSpawned(["call", addr, "grpc.testing.TestService/UnimplementedCall", "--ca", certs.ca]),
      runSpawned(["call", "127.0.0.1:1", "Greeter/SayHello", "--ca", certs.ca]),
      runSpawned(["call", addr, "Greeter/SayHello", "-d", '{"name":', "--ca", certs.ca]),
      runSpawned(["call", addr, "Greeter/SayHello"]),
    ]);
    const oneLine = (r: { stderr: string; stdout: string }) => {
      assert.equal(r.stdout, "");
      assert.equal(lines(r.stderr).length, 1, r.stderr);
    };
    oneLine(unknownCa);
    assert.equal(unknownCa.code, 1);
    assert.match(
      unknownCa.stderr,
      /^pqrpc: TLS handshake with localhost:\d+ failed: server certificate not trusted \(unknown CA\)/,
    );
    oneLine(noMethod);
    assert.equal(noMethod.code, 1);
    assert.match(
      noMethod.stderr,
      /^pqrpc: grpc\.testing\.TestService\/UnimplementedCall failed: UNIMPLEMENTED: /,
    );
    oneLine(refused);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^pqrpc: cannot connect to 127\.0\.0\.1:1: connection refused/);
    oneLine(badJson);
    assert.equal(badJson.code, 2, "bad input is a usage error");
    assert.match(badJson.stderr, /^pqrpc: bad -d JSON \(value 1, /);
    oneLine(insecureMissing);
    assert.equal(insecureMissing.code, 2);
    assert.match(insecureMissing.stderr, /no --ca FILE given/);
  });

  it("errors found before connecting: unknown method in the schema, bad field in -d", async () => {
    const m = await runInProcess(["call", addr, "Greeter/Nope", "--ca", certs.ca]);
    assert.equal(m.code, 2);
    assert.match(m.stderr, /no method "Nope" in helloworld.Greeter \(have: SayHello, /);
    const f = await runInProcess(["call", addr, "Greeter/SayHello", "-d", '{"nmae":"x"}', "--ca", certs.ca]);
    assert.equal(f.code, 2);
    assert.match(f.stderr, /bad -d JSON for helloworld.HelloRequest: /);
  });
});
