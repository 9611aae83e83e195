/** Issue 9 item 9: a client never skips the host-name check by omission. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExtensionType } from "./codec/types.ts";
import { createTlsClient, createTlsServer } from "./connection.ts";
import { clientConfig, connectPair, pump, serverConfig } from "./engine-test-helpers.ts";

describe("client serverName", () => {
  it("absent: the client refuses to start with a TlsConfigError naming the opt-out", () => {
    const config = clientConfig();
    delete config.serverName;
    assert.throws(
      () => createTlsClient(config),
      (e: unknown) => {
        assert.equal((e as Error).name, "TlsConfigError");
        assert.match((e as Error).message, /serverName: false/);
        return true;
      },
    );
  });
  it("a name the certificate does not cover is bad_certificate", () => {
    const { client } = connectPair({ client: { serverName: "elsewhere.example" } });
    assert.equal(client.error?.alertName, "bad_certificate");
  });
  it("serverName: false connects without SNI and without a name check, still verifying the chain", () => {
    let sni = true;
    const { client, server } = connectPair({
      client: { serverName: false },
      clientHooks: {
        clientHelloExtensions: (l) => {
          sni = l.some((e) => e.type === ExtensionType.server_name);
          return l;
        },
      },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.ok(client.handshakeComplete);
    assert.equal(sni, false, "no server_name extension");
    assert.equal(server.info?.serverName, undefined);
    // The chain is still verified: a server from another CA is unknown_ca.
    const untrusted = createTlsServer(serverConfig({}, "ml-dsa-44"));
    const c = createTlsClient(clientConfig({ serverName: false }));
    pump(c, untrusted);
    assert.equal(c.error?.alertName, "unknown_ca");
  });
});
