/**
 * `pqrpc serve` picks up renewed certificates without a restart (issue 10
 * part 7): when its --cert/--key files are rewritten (as a renewal tool does)
 * and on SIGHUP. Each reload prints one line; the next handshake gets the new
 * leaf while the server process stays the same.
 */
import assert from "node:assert/strict";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bytesEqual } from "../../src/bytes/bytes.ts";
import { createDevelopmentPki, type DevelopmentPki } from "../../src/pki/development-pki.ts";
import { issueCertificate } from "../../src/pki/issue.ts";
import { generateKeyPair, publicKeyInfo } from "../../src/pki/keys.ts";
import { encodePem } from "../../src/pki/pem.ts";
import { createVerifier } from "../../src/pki/trust-store.ts";
import { connectTls } from "../../src/transport/tls-connect.ts";
import { type ServerProcess, startServerProcess } from "../interop/child-process.ts";
import { PQRPC_BIN, SERVE_START_TIMEOUT_MS } from "./serve-process.ts";

const RELOAD_WAIT_MS = 60_000;

describe("pqrpc serve reloads its certificate chain", () => {
  let dir: string;
  let pki: DevelopmentPki;
  let serve: ServerProcess;
  const certFile = () => join(dir, "server.pem");
  const keyFile = () => join(dir, "server.key");

  /** A new leaf from the same CA, written as a renewal tool would: each file replaced whole, key first. */
  const renew = async (name: string): Promise<Uint8Array> => {
    const key = generateKeyPair(pki.algorithm);
    const leaf = issueCertificate({
      subject: { organization: "pqrpc", commonName: name },
      publicKey: publicKeyInfo(key),
      signingKey: pki.ca.keyPair.signingKey,
      issuerCertificate: pki.ca.certificate,
      extendedKeyUsage: ["serverAuth"],
      subjectAltNames: ["localhost", "127.0.0.1"],
      validityDays: 1,
    });
    await writeFile(`${keyFile()}.new`, encodePem("PRIVATE KEY", key.pkcs8), { mode: 0o600 });
    await rename(`${keyFile()}.new`, keyFile());
    const chain = [leaf, pki.ca.certificate].map((c) => encodePem("CERTIFICATE", c)).join("");
    await writeFile(`${certFile()}.new`, chain);
    await rename(`${certFile()}.new`, certFile());
    return leaf;
  };
  const leafServed = async () => {
    const tls = await connectTls("127.0.0.1", serve.port, {
      serverName: "localhost",
      verifier: createVerifier({ roots: [pki.ca.certificate] }),
      alpnProtocols: ["pqrpc/1"],
    });
    tls.destroy();
    return tls.info!.peerCertificates[0]!;
  };
  const reloads = () => (serve.output().match(/pqrpc serve: loaded 1 certificate chain/g) ?? []).length;
  const waitForReloads = async (n: number) => {
    const deadline = Date.now() + RELOAD_WAIT_MS;
    while (reloads() < n) {
      if (Date.now() > deadline) assert.fail(`no reload line ${n}:\n${serve.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pqrpc-reload-"));
    pki = createDevelopmentPki();
    await renew("localhost (first)");
    serve = await startServerProcess(
      process.execPath,
      [
        PQRPC_BIN,
        "serve",
        "--demo",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--cert",
        certFile(),
        "--key",
        keyFile(),
      ],
      {
        what: "pqrpc serve --demo",
        portPattern: /listening on 127\.0\.0\.1:(\d+)/,
        startTimeoutMs: SERVE_START_TIMEOUT_MS,
      },
    );
  });
  after(async () => {
    await serve?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("on a change of the files, then on SIGHUP, without a restart", async () => {
    const firstPid = serve.pid;
    const renewed = await renew("localhost (renewed)");
    await waitForReloads(1);
    assert.ok(bytesEqual(await leafServed(), renewed), "the renewed leaf after the files changed");
    process.kill(serve.pid, "SIGHUP");
    await waitForReloads(2);
    assert.ok(bytesEqual(await leafServed(), renewed), "SIGHUP reloads the same files");
    assert.equal(serve.pid, firstPid);
    assert.match(
      serve.output(),
      /loaded 1 certificate chain \(O=pqrpc, CN=localhost \(renewed\), ml-dsa-65, until /,
    );
  });

  it("a broken pair keeps the chain that was loaded and says why", async () => {
    const failures = () =>
      (serve.output().match(/reloading the certificates failed, keeping the ones loaded before/g) ?? [])
        .length;
    const before = reloads();
    const failedBefore = failures();
    const served = await leafServed();
    await writeFile(`${certFile()}.new`, "not a certificate\n");
    await rename(`${certFile()}.new`, certFile());
    const deadline = Date.now() + RELOAD_WAIT_MS;
    while (failures() === failedBefore) {
      if (Date.now() > deadline) assert.fail(`no failure line:\n${serve.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(reloads(), before);
    assert.ok(bytesEqual(await leafServed(), served), "still serving the chain loaded before");
  });
});
