/**
 * Short-lived certificates end to end with the CLI (issue 10 part 7):
 * `pqrpc ca token` makes a one-time token, `pqrpc ca enroll` gets a first
 * certificate from `pqrpc ca serve` with it (a second use is refused), and
 * `pqrpc serve --renew` renews that certificate on schedule from the CA,
 * authenticated by the certificate it replaces; the renewed chain is served
 * with no restart.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bytesEqual } from "../../src/bytes/bytes.ts";
import { parseCertificate } from "../../src/pki/certificate.ts";
import { loadTrust } from "../../src/pki/load.ts";
import { decodePem } from "../../src/pki/pem.ts";
import { connectTls } from "../../src/transport/tls-connect.ts";
import type { ServerProcess } from "../interop/child-process.ts";
import { initCaWithToken, runPqrpc, startCaServe, startServeProcess } from "./serve-process.ts";

const RENEW_WAIT_MS = 90_000;

describe("pqrpc ca serve, ca enroll and serve --renew", () => {
  let dir: string;
  let ca: ServerProcess;
  let app: ServerProcess | undefined;
  let token: string;
  const pqrpc = runPqrpc;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "pqrpc-ca-"));
    token = await initCaWithToken(dir, "localhost,127.0.0.1");
    ca = await startCaServe(dir, ["--lifetime", "3600"]);
  });
  after(async () => {
    await app?.stop();
    await ca?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("enrolls once per token, then serve --renew swaps in a renewed certificate without a restart", async () => {
    assert.match(token, /^pqrpc-enroll-[A-Za-z0-9_-]{43}$/);
    assert.equal((await stat(join(dir, "tokens.json"))).mode & 0o777, 0o600);
    assert.ok(!(await readFile(join(dir, "tokens.json"), "utf8")).includes(token), "stored only as a hash");
    assert.match(ca.output(), /1 enrollment token\(s\)/);
    const caAddr = `127.0.0.1:${ca.port}`;
    const out = join(dir, "app");
    const enroll = (t: string) =>
      pqrpc(
        "ca",
        "enroll",
        caAddr,
        "--ca",
        join(dir, "ca.pem"),
        "--token",
        t,
        "--out",
        out,
        "--servername",
        "localhost",
      );
    const first = await enroll(token);
    assert.equal(first.code, 0, first.stderr);
    const again = await enroll(token);
    // One line and exit code 1 (an RpcError's numeric code once crashed the CLI's error path).
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /^pqrpc: \[UNAUTHENTICATED\] unknown, used or expired enrollment token\n$/);
    const enrolledLeaf = decodePem(await readFile(join(out, "server.pem"), "utf8"), "CERTIFICATE")[0]!;
    assert.ok(parseCertificate(enrolledLeaf).notAfter.getTime() <= Date.now() + 3600_000);

    // A thousandth of the hour left: a few seconds.
    app = await startServeProcess({ cert: join(out, "server.pem"), key: join(out, "server.key") }, [
      "--renew",
      caAddr,
      "--renew-ca",
      join(dir, "ca.pem"),
      "--renew-at",
      "0.001",
    ]);
    const trust = await loadTrust(join(dir, "ca.pem"));
    const leafServed = async () => {
      const tls = await connectTls("127.0.0.1", app!.port, {
        serverName: "localhost",
        verifier: trust,
        alpnProtocols: ["h2"],
      });
      tls.destroy();
      return tls.info!.peerCertificates[0]!;
    };
    assert.ok(bytesEqual(await leafServed(), enrolledLeaf));
    const deadline = Date.now() + RENEW_WAIT_MS;
    while (!/loaded 1 certificate chain/.test(app.output())) {
      if (Date.now() > deadline)
        assert.fail(`no renewal was loaded:\n${app.output()}\n--- ca:\n${ca.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(app.output(), /renewed the certificate from 127\.0\.0\.1:\d+, valid until/);
    assert.match(ca.output(), /pqrpc ca: renew localhost,127\.0\.0\.1 \(ml-dsa-65/);
    const renewedLeaf = decodePem(await readFile(join(out, "server.pem"), "utf8"), "CERTIFICATE")[0]!;
    assert.ok(!bytesEqual(renewedLeaf, enrolledLeaf));
    assert.ok(
      bytesEqual(await leafServed(), renewedLeaf),
      "the renewed certificate is served by the same process",
    );
  });
});
