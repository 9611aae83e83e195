import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseCertificate } from "../pki/certificate.ts";
import { loadIdentity, loadTrust } from "../pki/load.ts";
import { decodePem } from "../pki/pem.ts";
import { EXIT_USAGE } from "./cli-error.ts";
import { main } from "./main.ts";

const bin = fileURLToPath(new URL("../../bin/pqrpc.mjs", import.meta.url));

async function runMain(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe("pqrpc certs", () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), "pqrpc-cli-"));
    dirs.push(d);
    return d;
  };
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("init writes a CA, a server and a client identity that load and validate", async () => {
    const dir = await tempDir();
    const r = await runMain([
      "certs",
      "init",
      "--dir",
      dir,
      "--alg",
      "ed25519",
      "--san",
      "api.test,10.1.2.3",
      "--days",
      "30",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const server = await loadIdentity(join(dir, "server.pem"), join(dir, "server.key"));
    const client = await loadIdentity(join(dir, "client.pem"), join(dir, "client.key"));
    const ca = await loadIdentity(join(dir, "ca.pem"), join(dir, "ca.key"));
    assert.equal(server.chain.length, 2);
    assert.equal(server.key.algorithm, "ed25519");
    assert.equal(ca.chain.length, 1);
    const trust = await loadTrust(join(dir, "ca.pem"));
    assert.equal(
      trust.verify({ chain: server.chain, serverName: "api.test", usage: "server" }).path.length,
      2,
    );
    trust.verify({ chain: server.chain, serverName: "10.1.2.3", usage: "server" });
    trust.verify({ chain: client.chain, usage: "client" });
    assert.throws(() => trust.verify({ chain: client.chain, usage: "server" }), /serverAuth/);
    const leaf = parseCertificate(server.chain[0]!);
    const days = (leaf.notAfter.getTime() - leaf.notBefore.getTime()) / 86_400_000;
    assert.equal(Math.round(days), 30);
    assert.equal((await stat(join(dir, "server.key"))).mode & 0o777, 0o600);
    assert.equal(decodePem(await readFile(join(dir, "ca.pem"), "utf8"), "CERTIFICATE").length, 1);

    const show = await runMain(["certs", "show", join(dir, "server.pem")]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /subject: {3}O=pqrpc, CN=api\.test/);
    assert.match(show.stdout, /names: {5}api\.test, 10\.1\.2\.3/);
    assert.match(show.stdout, /algorithm: ed25519 key, signed with ed25519/);
    assert.match(show.stdout, /ext usage: serverAuth/);
    assert.match(
      (await runMain(["certs", "show", join(dir, "server.key")])).stdout,
      /private key\n {2}algorithm: ed25519/,
    );

    const again = await runMain(["certs", "init", "--dir", dir]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /exists \(use --force/);
    assert.equal((await runMain(["certs", "init", "--dir", dir, "--alg", "ed25519", "--force"])).code, 0);
  });

  it("bad arguments give one line on stderr and a usage exit code", async () => {
    const cases: [string[], RegExp][] = [
      [["certs", "init"], /--dir DIR is required/],
      [["certs", "init", "--dir", "x", "--alg", "rsa-1024"], /unknown --alg "rsa-1024"/],
      [["certs", "init", "--dir", "x", "--days", "0"], /--days must be an integer/],
      [["certs", "init", "--dir", "x", "--san", ","], /--san needs at least one/],
      [["certs", "init", "--bogus"], /Unknown option '--bogus'/],
      [["certs", "frobnicate"], /unknown certs subcommand "frobnicate"/],
      [["nope"], /unknown command "nope"/],
      [["certs", "show"], /exactly one FILE/],
    ];
    for (const [argv, message] of cases) {
      const r = await runMain(argv);
      assert.equal(r.code, EXIT_USAGE, argv.join(" "));
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    }
    const bad = await runMain(["certs", "init", "--dir", await tempDir(), "--san", "not a name!"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^pqrpc: "not a name!" is neither a DNS name nor an IP address\n$/);
    const missing = await runMain(["certs", "show", "/nonexistent/file.pem"]);
    assert.equal(missing.code, 1);
  });

  it("bin/pqrpc.mjs runs the TypeScript sources as a real executable", async () => {
    const dir = await tempDir();
    const { stdout } = await promisify(execFile)(process.execPath, [
      bin,
      "certs",
      "init",
      "--dir",
      dir,
      "--alg",
      "ecdsa-p256-sha256",
    ]);
    assert.match(stdout, /wrote ca\.pem, ca\.key, server\.pem, server\.key, client\.pem, client\.key/);
    await assert.rejects(
      promisify(execFile)(process.execPath, [bin, "certs", "init"]),
      (e: { code: number; stderr: string }) => {
        assert.equal(e.code, EXIT_USAGE);
        assert.equal(e.stderr, "pqrpc: certs init: --dir DIR is required\n");
        return true;
      },
    );
  });
});
