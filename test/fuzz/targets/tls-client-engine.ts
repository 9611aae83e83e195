/**
 * The TLS client engine fed a hostile server. Mode 0: a real ClientHello goes
 * out and the input is the server's bytes (ServerHello, HelloRetryRequest,
 * alerts, records of any kind). Mode 1: a live handshake with a real server
 * whose outgoing handshake messages (ServerHello, EncryptedExtensions,
 * CertificateRequest, Certificate, CertificateVerify, Finished, tickets) are
 * mutated before sealing. The client must end with a typed alert other than
 * internal_error, or succeed.
 */
import { TlsError } from "../../../src/tls/alert.ts";
import { createHostilePeer, createTlsClient } from "../../../src/tls/connection.ts";
import { FuzzInput } from "../harness/input.ts";
import { enginePki, fuzzClientConfig, fuzzServerConfig } from "../harness/pki-fixture.ts";
import { type FuzzTarget, jazzerEntry } from "../harness/target.ts";
import { checkConnection, feed, handshakeMutator, pumpChecked } from "../harness/tls-engine.ts";

export const target: FuzzTarget = {
  name: "tls-client-engine",
  description: "server bytes to a client: [mode] then raw bytes (0) or a handshake mutation (1)",
  typed: [TlsError],
  costly: true,
  run(data) {
    const input = new FuzzInput(data);
    if (input.pick(2) === 0) {
      const chunkBytes = 1 + input.u8() * 64;
      const client = createTlsClient(fuzzClientConfig());
      client.takeOutgoing();
      feed(client, input.rest(), chunkBytes);
      checkConnection("client", client, client.takeOutgoing());
      return;
    }
    // Bit 0: the server requires a client certificate; bit 1: the client then has none to give.
    const auth = input.u8();
    const requireClientAuth = (auth & 1) === 1;
    const withCertificate = requireClientAuth && (auth & 2) === 0;
    const mutate = handshakeMutator(input);
    const server = createHostilePeer(
      "server",
      fuzzServerConfig(requireClientAuth ? { clientAuth: "require" } : {}),
      { outgoingHandshake: mutate },
    );
    const client = createTlsClient(
      fuzzClientConfig(withCertificate ? { certificate: enginePki().client.certifiedKey } : {}),
    );
    pumpChecked(client, server);
  },
};

export const fuzz = jazzerEntry(target);
