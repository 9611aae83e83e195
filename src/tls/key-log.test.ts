import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromHex, toHex, utf8Decode } from "../bytes/bytes.ts";
import { cipherSuiteByName } from "../crypto/registry.ts";
import { clientHello } from "./codec/messages.ts";
import { createTlsClient, createTlsServer } from "./connection.ts";
import { clientConfig, crypto, pump, serverConfig } from "./engine-test-helpers.ts";
import { KeyLogLabel } from "./key-log.ts";
import { ContentType, RecordDeframer, RecordProtector } from "./record-layer.ts";

function parse(lines: string[]): Map<string, { random: string; secret: Uint8Array }> {
  const out = new Map<string, { random: string; secret: Uint8Array }>();
  for (const l of lines) {
    const [label, random, secret, ...rest] = l.split(" ");
    assert.equal(rest.length, 0, l);
    assert.match(random!, /^[0-9a-f]{64}$/);
    out.set(label!, { random: random!, secret: fromHex(secret!) });
  }
  return out;
}

describe("tls key log (NSS format)", () => {
  it("client and server log the same five secrets, keyed by the ClientHello random, and they decrypt the session", () => {
    const clientLines: string[] = [];
    const serverLines: string[] = [];
    const client = createTlsClient(
      clientConfig({ keyLog: (l) => clientLines.push(l), cipherSuites: ["TLS_AES_128_GCM_SHA256"] }),
    );
    const server = createTlsServer(serverConfig({ keyLog: (l) => serverLines.push(l) }));
    // The first record is the plaintext ClientHello: its random keys the log.
    const first = client.takeOutgoing();
    const chRecord = first[0]!;
    const random = toHex(clientHello.decode(chRecord.subarray(5 + 4)).random);
    for (const c of first) server.receive(c);
    pump(client, server);
    assert.ok(client.handshakeComplete && server.handshakeComplete);

    const c = parse(clientLines);
    const s = parse(serverLines);
    assert.deepEqual([...c.keys()].sort(), Object.values(KeyLogLabel).sort());
    assert.equal(clientLines.length, 5);
    for (const [label, v] of c) {
      assert.equal(v.random, random, label);
      assert.deepEqual(s.get(label), v, `${label}: both sides log the same secret`);
    }

    // CLIENT_TRAFFIC_SECRET_0 opens the client's first application record: the log is the real key.
    client.send(new TextEncoder().encode("logged"));
    const deframer = new RecordDeframer();
    for (const r of client.takeOutgoing()) deframer.push(r);
    const record = deframer.next()!;
    const suite = cipherSuiteByName("TLS_AES_128_GCM_SHA256")!;
    const opened = new RecordProtector(crypto, suite, c.get(KeyLogLabel.clientApplication)!.secret).open(
      record,
    );
    assert.equal(opened.type, ContentType.application_data);
    assert.equal(utf8Decode(opened.content), "logged");
  });

  it("is per side: the server logs while the client, without a callback, derives nothing for it", () => {
    const lines: string[] = [];
    const client = createTlsClient(clientConfig());
    const server = createTlsServer(serverConfig({ keyLog: (l) => lines.push(l) }));
    pump(client, server);
    assert.ok(client.handshakeComplete);
    assert.equal(lines.length, 5);
  });
});
