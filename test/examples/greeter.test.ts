/**
 * examples/greeter runs as its README says: the committed gen/ is exactly what
 * `pqrpc generate` makes from the .proto (no drift), server.ts + client.ts
 * run the four call kinds, metadata, a deadline and an error status over
 * pqrpc/1 and h2, and the browser client bundles against pqrpc/web.
 * (Type-checking: the repo's `tsc -p .` includes examples/.)
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { bundleBrowserExample, PQRPC_WEB_URL } from "../../examples/greeter/browser/bundle.ts";
import { REPO_ROOT, runInProcess } from "../../src/cli/cli-test-helpers.ts";

const run = promisify(execFile);
const EXAMPLE = join(REPO_ROOT, "examples/greeter");
/** Spawned scripts load tsx and the sources first: seconds on a busy 2-core machine. */
const SPAWN_TIMEOUT_MS = 45_000;

describe("examples/greeter", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let port: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pqrpc-example-"));
    const certs = await runInProcess(["certs", "init", "--dir", join(dir, "certs")]);
    assert.equal(certs.code, 0, certs.stderr);
    server = spawn(
      process.execPath,
      ["--import", "tsx", join(EXAMPLE, "server.ts"), "--port", "0", "--certs", join(dir, "certs")],
      { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    const lines = createInterface({ input: server.stdout! });
    for await (const line of lines) {
      const m = /^greeter server listening on 127\.0\.0\.1:(\d+)$/.exec(line);
      if (m) {
        port = Number(m[1]);
        break;
      }
    }
    assert.ok(port > 0, "the server printed its address");
  });
  after(async () => {
    if (server && server.exitCode === null) {
      server.kill("SIGKILL");
      await once(server, "exit");
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("gen/ is what `pqrpc generate` makes from proto/ (no drift)", async () => {
    const out = join(dir, "gen");
    const r = await runInProcess(["generate", "--out", out, join(EXAMPLE, "proto")]);
    assert.equal(r.code, 0, r.stderr);
    const committed = (await readdir(join(EXAMPLE, "gen"))).sort();
    assert.deepEqual((await readdir(out)).sort(), committed);
    assert.deepEqual(committed, ["greeter_pb.ts", "greeter_pqrpc.ts"]);
    for (const f of committed) {
      assert.equal(
        await readFile(join(out, f), "utf8"),
        await readFile(join(EXAMPLE, "gen", f), "utf8"),
        `${f} differs: run the generate command in examples/greeter/README.md`,
      );
    }
  });

  for (const protocol of ["pqrpc/1", "h2"]) {
    it(`client.ts runs every call kind, metadata, a deadline and an error status over ${protocol}`, async () => {
      const { stdout } = await run(
        process.execPath,
        [
          "--import",
          "tsx",
          join(EXAMPLE, "client.ts"),
          "--target",
          `localhost:${port}`,
          "--certs",
          join(dir, "certs"),
          "--protocol",
          protocol,
        ],
        { cwd: REPO_ROOT, timeout: SPAWN_TIMEOUT_MS },
      );
      assert.deepEqual(stdout.trim().split("\n"), [
        `connected: TLSv1.3, X25519MLKEM768, TLS_AES_256_GCM_SHA384, server signature ml-dsa-65, ALPN ${protocol}`,
        "header x-request-id: req-42",
        "trailer x-served-by: examples/greeter",
        "unary: hello ada",
        "server streaming: hello grace (1/3) | hello grace (2/3) | hello grace (3/3)",
        "client streaming: hello ada, grace, alan",
        "bidi streaming: you said: ping | you said: pong",
        "deadline: DEADLINE_EXCEEDED (deadline exceeded)",
        "error status: INVALID_ARGUMENT (name is required)",
      ]);
    });
  }

  it("server.ts closes on SIGINT", async () => {
    const output: string[] = [];
    server!.stdout!.on("data", (d: Buffer) => output.push(d.toString()));
    server!.kill("SIGINT");
    const [code] = await once(server!, "exit");
    assert.equal(code, 0);
    assert.match(output.join(""), /greeter server closed/);
  });

  it("the browser client bundles, importing pqrpc/web from the prebuilt bundle", async () => {
    const js = await bundleBrowserExample();
    const imports = [...js.matchAll(/^import\s*{[^}]*}\s*from\s*"([^"]+)"/gm)].map((m) => m[1]);
    assert.deepEqual([...new Set(imports)], [PQRPC_WEB_URL]);
    assert.match(js, /\/config\.json/);
    assert.doesNotMatch(js, /["']node:/);
  });
});
