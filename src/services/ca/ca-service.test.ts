/**
 * The CA service and the renewer against a real pqrpc server: enrollment by
 * one-time token, renewal authenticated by the current certificate, the
 * limits on names and keys, and an application server whose short-lived
 * certificate is renewed and swapped in with no restart.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { bytesEqual } from "../../bytes/bytes.ts";
import { connect } from "../../client/channel.ts";
import { defaultCrypto } from "../../crypto/select.ts";
import { Greeter } from "../../gen/helloworld/greeter_pb.ts";
import { CertificateAuthority } from "../../gen/pqrpc/ca/v1/ca_pb.ts";
import { createClient } from "../../node/rpc-defaults.ts";
import { parseCertificate } from "../../pki/certificate.ts";
import { createCsr } from "../../pki/csr.ts";
import { createDevelopmentPki } from "../../pki/development-pki.ts";
import { generateKeyPair, publicKeyInfo } from "../../pki/keys.ts";
import { createVerifier } from "../../pki/trust-store.ts";
import type { CertifiedKey } from "../../pki/types.ts";
import { Code } from "../../rpc/code.ts";
import { RpcError } from "../../rpc/rpc-error.ts";
import { createServer, type Server } from "../../server/server.ts";
import { connectTls } from "../../transport/tls-connect.ts";
import { addCertificateAuthorityService, type IssuedEvent } from "./ca-service.ts";
import { EnrollmentTokens } from "./enrollment-tokens.ts";
import { createCertificateRenewer, type RenewedIdentity } from "./renewer.ts";

const crypto = defaultCrypto();
const pki = createDevelopmentPki();
const trust = createVerifier({ roots: [pki.ca.certificate] });
const issuer: CertifiedKey = { chain: [pki.ca.certificate], key: pki.ca.keyPair.signingKey };
const HOUR = 3_600_000;

const rpcCode = async (p: Promise<unknown>): Promise<Code> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof RpcError) return e.code;
    throw e;
  }
  assert.fail("the call succeeded");
};

describe("pqrpc.ca.v1.CertificateAuthority", () => {
  let ca: Server;
  let address: string;
  let tokens: EnrollmentTokens;
  let saves = 0;
  const issued: IssuedEvent[] = [];

  before(async () => {
    tokens = EnrollmentTokens.empty(crypto);
    // Renewals authenticate by client certificate: requested, verified against the CA itself.
    ca = createServer({ identity: pki.server.certifiedKey, clientAuth: "request", trust });
    addCertificateAuthorityService(ca, {
      issuer,
      tokens,
      saveTokens: async () => void saves++,
      lifetimeSeconds: 3600,
      onIssued: (e) => issued.push(e),
    });
    const { port } = await ca.listen({ port: 0, host: "127.0.0.1" });
    address = `127.0.0.1:${port}`;
  });
  after(() => ca.close());

  const token = (names: string[]) => tokens.issue({ names, expiresMs: Date.now() + HOUR }, Date.now());

  it("enrolls with a one-time token, then renews with a new key for the same names", async () => {
    const got: RenewedIdentity[] = [];
    const renewer = createCertificateRenewer({
      address,
      trust,
      serverName: "localhost",
      token: token(["device-1.example", "10.0.0.7"]),
      onIdentity: (r) => void got.push(r),
    });
    await renewer.start();
    renewer.stop();
    const first = parseCertificate(got[0]!.identity.chain[0]!);
    assert.deepEqual(first.extensions.subjectAltName?.dnsNames, ["device-1.example"]);
    assert.deepEqual([...first.extensions.subjectAltName!.ipAddresses[0]!], [10, 0, 0, 7]);
    assert.deepEqual(first.extensions.extendedKeyUsage?.length, 2, "serverAuth and clientAuth");
    assert.ok(
      first.notAfter.getTime() - Date.now() <= HOUR && first.notAfter.getTime() > Date.now() + HOUR - 60_000,
    );
    assert.ok(bytesEqual(got[0]!.identity.chain[1]!, pki.ca.certificate));
    assert.equal(saves, 1, "the used token was persisted as gone");
    assert.equal(tokens.size, 0);

    const renewing = createCertificateRenewer({
      address,
      trust,
      serverName: "localhost",
      current: got[0]!.identity,
      onIdentity: (r) => void got.push(r),
    });
    await renewing.renewNow();
    renewing.stop();
    const second = parseCertificate(got[1]!.identity.chain[0]!);
    assert.ok(!bytesEqual(second.publicKey, first.publicKey), "a new key");
    assert.deepEqual(second.extensions.subjectAltName?.dnsNames, ["device-1.example"]);
    assert.deepEqual(
      issued.map((e) => e.kind),
      ["enroll", "renew"],
    );
  });

  it("refuses a used or unknown token, names beyond the grant, and a renewal without a certificate", async () => {
    const channel = await connect(address, { trust, serverName: "localhost", telemetry: false });
    try {
      const client = createClient(CertificateAuthority, channel);
      const key = generateKeyPair("ml-dsa-65", crypto);
      const csr = (names: string[]) =>
        createCsr({
          subject: "x",
          publicKey: publicKeyInfo(key),
          signingKey: key.signingKey,
          subjectAltNames: names,
        });
      const t = token(["a.example"]);
      assert.equal(
        await rpcCode(client.enroll({ token: t, csr: csr(["b.example"]) })),
        Code.PERMISSION_DENIED,
      );
      assert.equal(
        await rpcCode(client.enroll({ token: t, csr: csr(["a.example"]) })),
        Code.UNAUTHENTICATED,
        "one try per token",
      );
      assert.equal(
        await rpcCode(client.enroll({ token: "pqrpc-enroll-guess", csr: csr([]) })),
        Code.UNAUTHENTICATED,
      );
      assert.equal(
        await rpcCode(client.enroll({ token: token(["a.example"]), csr: new Uint8Array(40) })),
        Code.INVALID_ARGUMENT,
      );
      assert.equal(await rpcCode(client.renew({ csr: csr(["a.example"]) })), Code.UNAUTHENTICATED);
      const classical = generateKeyPair("ecdsa-p256-sha256", crypto);
      const classicalCsr = createCsr({
        subject: "x",
        publicKey: publicKeyInfo(classical),
        signingKey: classical.signingKey,
      });
      assert.equal(
        await rpcCode(client.enroll({ token: token(["a.example"]), csr: classicalCsr })),
        Code.INVALID_ARGUMENT,
        "policy hybrid certifies no classical key",
      );
    } finally {
      await channel.close();
    }
  });

  it("a renewal may not widen the names or keep the key", async () => {
    let identity!: CertifiedKey;
    await createCertificateRenewer({
      address,
      trust,
      serverName: "localhost",
      token: token(["narrow.example"]),
      onIdentity: (r) => void (identity = r.identity),
    }).renewNow();
    const widen = createCertificateRenewer({
      address,
      trust,
      serverName: "localhost",
      current: identity,
      names: ["narrow.example", "wide.example"],
      onIdentity: () => {},
    });
    assert.equal(await rpcCode(widen.renewNow()), Code.PERMISSION_DENIED);
    widen.stop();
  });

  it("a server on a short-lived certificate renews it on schedule and serves the new one with no restart", async () => {
    let first!: RenewedIdentity;
    await createCertificateRenewer({
      address,
      trust,
      serverName: "localhost",
      token: token(["localhost", "127.0.0.1"]),
      onIdentity: (r) => void (first = r),
    }).renewNow();
    const app = createServer({ identity: first.identity }).service(Greeter, {
      sayHello: (req) => ({ message: `hi ${req.name}` }),
    });
    const { port } = await app.listen({ port: 0, host: "127.0.0.1" });
    const renewals: RenewedIdentity[] = [];
    // Renew after 0.1% of the hour: a few seconds, on the renewer's own timer.
    const renewer = createCertificateRenewer({
      address,
      trust,
      serverName: "localhost",
      current: first.identity,
      renewAtFraction: 0.001,
      onIdentity: (r) => {
        app.setIdentity(r.identity);
        renewals.push(r);
      },
    });
    const leafServed = async () => {
      const tls = await connectTls("127.0.0.1", port, {
        serverName: "localhost",
        verifier: trust,
        alpnProtocols: ["h2"],
      });
      tls.destroy();
      return tls.info!.peerCertificates[0]!;
    };
    try {
      assert.ok(bytesEqual(await leafServed(), first.identity.chain[0]!));
      await renewer.start();
      const deadline = Date.now() + 60_000;
      while (renewals.length === 0) {
        assert.ok(Date.now() < deadline, "renewed on schedule");
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(
        bytesEqual(await leafServed(), renewals[0]!.identity.chain[0]!),
        "the renewed leaf is served",
      );
      const channel = await connect(`127.0.0.1:${port}`, {
        trust,
        serverName: "localhost",
        telemetry: false,
      });
      assert.equal((await createClient(Greeter, channel).sayHello({ name: "x" })).message, "hi x");
      await channel.close();
    } finally {
      renewer.stop();
      await app.close();
    }
  });
});
