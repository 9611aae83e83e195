/**
 * `pqrpc serve --demo` and `--proto/--impl`, each answered by `pqrpc call`;
 * --ca (client certificates required) and --policy; and the error cases:
 * a bad --impl path, an impl naming a service the .proto lacks, mixed modes
 * (one line on stderr, usage exit code 2).
 */
import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadWasmProvider } from "../crypto/index.ts";
import { type CertDir, makeCerts, runInProcess, runSpawned } from "./cli-test-helpers.ts";
import { runServe } from "./serve.ts";

interface Running {
  readonly port: number;
  readonly banner: string;
  stop(): Promise<void>;
}

/** runServe in this process; resolves once it prints its address. */
async function startServe(args: string[]): Promise<Running> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let out = "";
  let stderr = "";
  let onLine!: (line: string) => void;
  const listening = new Promise<string>((r) => (onLine = r));
  const done = runServe(
    args,
    {
      stdout: (t) => {
        out += t;
        if (/listening on/.test(out)) onLine(out);
      },
      stderr: (t) => (stderr += t),
    },
    () => released,
  );
  const banner = await Promise.race([listening, done.then(() => Promise.reject(new Error(stderr)))]);
  const port = Number(/listening on [^\s]*:(\d+)/.exec(banner)![1]);
  return {
    port,
    banner,
    stop: async () => {
      release();
      await done;
    },
  };
}

describe("pqrpc serve", () => {
  let certs: CertDir;
  const tls = () => ["--cert", certs.chain, "--key", certs.key];

  before(async () => {
    await loadWasmProvider();
    certs = await makeCerts("ml-dsa-65", "pqrpc-serve-");
  });
  after(async () => {
    if (certs) await rm(certs.dir, { recursive: true, force: true });
  });

  it("--demo serves helloworld.Greeter; `pqrpc call` gets every call kind", async () => {
    const s = await startServe(["--demo", "--port", "0", "--host", "127.0.0.1", ...tls()]);
    try {
      assert.match(s.banner, /helloworld\.Greeter listening on 127\.0\.0\.1:\d+ .*policy hybrid/);
      const call = (method: string, data: string) =>
        runInProcess([
          "call",
          `localhost:${s.port}`,
          `helloworld.Greeter/${method}`,
          "-d",
          data,
          "--ca",
          certs.ca,
        ]);
      const unary = await call("SayHello", '{"name":"ada"}');
      assert.equal(unary.code, 0, unary.stderr);
      assert.deepEqual(JSON.parse(unary.stdout), { message: "hello ada" });
      const replies = await call("LotsOfReplies", '{"name":"ada"}');
      assert.deepEqual(
        replies.stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l).message),
        ["hello ada (1/3)", "hello ada (2/3)", "hello ada (3/3)"],
      );
      const chat = await call("Chat", '{"name":"x"} {"name":"y"}');
      assert.deepEqual(
        chat.stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l).message),
        ["you said: x", "you said: y"],
      );
    } finally {
      await s.stop();
    }
  });

  it("--proto + --impl: a user's .proto and handler module (function default export)", async () => {
    await writeFile(
      join(certs.dir, "tiny.proto"),
      'syntax = "proto3";\npackage tiny;\nmessage Msg { string text = 1; }\n' +
        "service Echo {\n  rpc Shout(Msg) returns (Msg);\n  rpc Repeat(Msg) returns (stream Msg);\n}\n",
    );
    await writeFile(
      join(certs.dir, "impl.mjs"),
      "export default ({ services }) => ({\n" +
        '  "tiny.Echo": {\n' +
        '    shout: (req) => ({ text: req.text.toUpperCase() + " (" + services.length + " service)" }),\n' +
        "    async *repeat(req) { yield { text: req.text }; yield { text: req.text }; },\n" +
        "  },\n});\n",
    );
    const proto = join(certs.dir, "tiny.proto");
    const s = await startServe([
      "--proto",
      proto,
      "--impl",
      join(certs.dir, "impl.mjs"),
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--policy",
      "pq-strict",
      ...tls(),
    ]);
    try {
      assert.match(s.banner, /tiny\.Echo listening on .*policy pq-strict/);
      const base = ["call", `localhost:${s.port}`, "--proto", proto, "--ca", certs.ca];
      const shout = await runInProcess([...base, "tiny.Echo/Shout", "-d", '{"text":"hi"}']);
      assert.equal(shout.code, 0, shout.stderr);
      assert.deepEqual(JSON.parse(shout.stdout), { text: "HI (1 service)" });
      const repeat = await runInProcess([...base, "tiny.Echo/Repeat", "-d", '{"text":"a"}']);
      assert.deepEqual(
        repeat.stdout
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l)),
        [{ text: "a" }, { text: "a" }],
      );
    } finally {
      await s.stop();
    }
  });

  it("--ca requires a client certificate: a call without one fails with one line, exit 1", async () => {
    const s = await startServe(["--demo", "--port", "0", "--host", "127.0.0.1", "--ca", certs.ca, ...tls()]);
    try {
      assert.match(s.banner, /client certificates required/);
      const r = await runInProcess([
        "call",
        `localhost:${s.port}`,
        "helloworld.Greeter/SayHello",
        "-d",
        '{"name":"ada"}',
        "--ca",
        certs.ca,
      ]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    } finally {
      await s.stop();
    }
  });

  it("a bad --impl path is one line on stderr and exit code 2 (spawned)", async () => {
    const r = await runSpawned([
      "serve",
      "--proto",
      join(certs.dir, "tiny.proto"),
      "--impl",
      join(certs.dir, "missing.mjs"),
      "--port",
      "0",
      ...tls(),
    ]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `pqrpc: --impl ${join(certs.dir, "missing.mjs")}: no such file\n`);
    assert.equal(r.stdout, "");
  });

  it("refuses an impl naming a service the .proto lacks, and mixed modes (exit 2)", async () => {
    await writeFile(join(certs.dir, "wrong.mjs"), 'export default { "tiny.Nope": {} };\n');
    const wrong = await runInProcess([
      "serve",
      "--proto",
      join(certs.dir, "tiny.proto"),
      "--impl",
      join(certs.dir, "wrong.mjs"),
      ...tls(),
    ]);
    assert.equal(wrong.code, 2);
    assert.match(
      wrong.stderr,
      /^pqrpc: --impl .*wrong\.mjs: no service "tiny\.Nope" in the \.proto \(have: tiny\.Echo\)\n$/,
    );
    const mixed = await runInProcess(["serve", "--demo", "--interop", ...tls()]);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /choose one of --demo, --interop or --proto with --impl/);
    const policy = await runInProcess(["serve", "--demo", "--policy", "weak", ...tls()]);
    assert.match(policy.stderr, /unknown --policy "weak" \(one of: pq-strict, hybrid, pq-kex, compat\)/);
  });
});
