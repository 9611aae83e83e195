/**
 * The TLS server engine fed a hostile client. Mode 0: the input is the
 * client's bytes from the first one (a ClientHello in records, then
 * anything). Mode 1: a live handshake with a real client (with a client
 * certificate when the server asks for one) whose outgoing handshake
 * messages are mutated before sealing: ClientHello, Certificate,
 * CertificateVerify, Finished, KeyUpdate.
 */
import { TlsError } from "../../../src/tls/alert.ts";
import { createHostilePeer, createTlsServer } from "../../../src/tls/connection.ts";
import { FuzzInput } from "../harness/input.ts";
import { enginePki, fuzzClientConfig, fuzzServerConfig } from "../harness/pki-fixture.ts";
import { type FuzzTarget, jazzerEntry } from "../harness/target.ts";
import { checkConnection, feed, handshakeMutator, pumpChecked } from "../harness/tls-engine.ts";

export const target: FuzzTarget = {
  name: "tls-server-engine",
  description: "client bytes to a server: [mode] then raw bytes (0) or a handshake mutation (1)",
  typed: [TlsError],
  costly: true,
  run(data) {
    const input = new FuzzInput(data);
    if (input.pick(2) === 0) {
      const chunkBytes = 1 + input.u8() * 64;
      const server = createTlsServer(fuzzServerConfig({ clientAuth: input.bool() ? "require" : "none" }));
      server.takeOutgoing();
      feed(server, input.rest(), chunkBytes);
      checkConnection("server", server, server.takeOutgoing());
      return;
    }
    const requireClientAuth = input.bool();
    const server = createTlsServer(fuzzServerConfig(requireClientAuth ? { clientAuth: "require" } : {}));
    const client = createHostilePeer(
      "client",
      fuzzClientConfig(requireClientAuth ? { certificate: enginePki().client.certifiedKey } : {}),
      { outgoingHandshake: handshakeMutator(input) },
    );
    pumpChecked(client, server);
  },
};

export const fuzz = jazzerEntry(target);
