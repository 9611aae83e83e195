/**
 * Certificate rotation without downtime (issue 10 part 7): server.setIdentity()
 * while a server-streaming call is open. The call goes on to its end on the
 * connection it started on; a new connection gets the new chain; a ticket
 * issued before the rotation still resumes.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { bytesEqual } from "../../src/bytes/bytes.ts";
import { connect } from "../../src/client/index.ts";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { issueCertificate } from "../../src/pki/issue.ts";
import { generateKeyPair, publicKeyInfo } from "../../src/pki/keys.ts";
import type { TrustStore } from "../../src/pki/trust-store.ts";
import type { CertifiedKey } from "../../src/pki/types.ts";
import { createClient } from "../../src/rpc/client.ts";
import { createServer } from "../../src/server/server.ts";
import type { ResumptionSession } from "../../src/tls/config.ts";
import { connectTls } from "../../src/transport/tls-connect.ts";
import { SERVER_NAME, testPki } from "./helpers.ts";

const REPLIES = 5;

describe("server.setIdentity: rotation without downtime", () => {
  let trust: TrustStore;
  let first: CertifiedKey;
  let second: CertifiedKey;
  before(async () => {
    const t = await testPki();
    trust = t.trust;
    first = t.pki.server.certifiedKey;
    // A renewed leaf from the same CA: another key, another serial.
    const key = generateKeyPair(t.pki.algorithm);
    const leaf = issueCertificate({
      subject: { organization: "pqrpc", commonName: "localhost (renewed)" },
      publicKey: publicKeyInfo(key),
      signingKey: t.pki.ca.keyPair.signingKey,
      issuerCertificate: t.pki.ca.certificate,
      extendedKeyUsage: ["serverAuth"],
      subjectAltNames: ["localhost", "127.0.0.1"],
    });
    second = { chain: [leaf, t.pki.ca.certificate], key: key.signingKey };
  });

  for (const protocol of ["pqrpc/1", "h2"] as const) {
    it(`${protocol}: a server stream spans the rotation; new handshakes get the new chain`, async () => {
      // The handler sends a reply each time the test releases one.
      const releases: (() => void)[] = [];
      const released = () => new Promise<void>((r) => releases.push(r));
      const server = createServer({ identity: first }).service(Greeter, {
        async *lotsOfReplies(req) {
          for (let i = 0; i < REPLIES; i++) {
            await released();
            yield { message: `${req.name} ${i}` };
          }
        },
      });
      const { port } = await server.listen({ port: 0, host: "127.0.0.1" });
      const channel = await connect(`127.0.0.1:${port}`, { trust, serverName: SERVER_NAME, protocol });
      const handshake = (session?: ResumptionSession) => {
        let ticket: ResumptionSession | undefined;
        return connectTls("127.0.0.1", port, {
          serverName: SERVER_NAME,
          verifier: trust,
          alpnProtocols: [protocol],
          ...(session === undefined ? {} : { session }),
          onSessionTicket: (s) => (ticket = s),
        }).then(async (tls) => {
          for (let i = 0; i < 200 && ticket === undefined; i++) await new Promise((r) => setTimeout(r, 10));
          tls.destroy();
          return { info: tls.info!, ticket };
        });
      };
      try {
        const before = await handshake();
        assert.ok(bytesEqual(before.info.peerCertificates[0]!, first.chain[0]!));
        const replies: string[] = [];
        const stream = (async () => {
          for await (const r of createClient(Greeter, channel).lotsOfReplies({ name: "r" }))
            replies.push(r.message);
        })();
        while (releases.length === 0) await new Promise((r) => setTimeout(r, 5));
        releases.shift()!();
        while (replies.length < 1) await new Promise((r) => setTimeout(r, 5));

        server.setIdentity(second);

        const after = await handshake();
        assert.ok(
          bytesEqual(after.info.peerCertificates[0]!, second.chain[0]!),
          "a new handshake gets the new leaf",
        );
        assert.equal(after.info.resumed, false);
        const resumed = await handshake(before.ticket);
        assert.equal(resumed.info.resumed, true, "a ticket from before the rotation resumes");
        for (let i = 1; i < REPLIES; i++) {
          while (releases.length === 0) await new Promise((r) => setTimeout(r, 5));
          releases.shift()!();
        }
        await stream;
        assert.deepEqual(replies, ["r 0", "r 1", "r 2", "r 3", "r 4"], "no reply lost, the call ended OK");
        assert.equal(channel.stats.connects, 1, "on the connection it started on");
        assert.throws(() => server.setIdentity([]), { name: "ServerError", code: "bad-options" });
      } finally {
        await channel.close();
        await server.close();
      }
    });
  }
});
