/**
 * The NSS key log (draft-ietf-tls-keylogfile §3: "LABEL <client_random hex>
 * <secret hex>"): the TLS 1.3 labels Wireshark and tshark read to decrypt a
 * capture. Client and server emit the same lines for a connection, keyed by
 * the ClientHello's random. For debugging only: the caller opts in with the
 * `keyLog` config callback (src/observability/key-log-file.ts writes it to
 * SSLKEYLOGFILE); without it no secret leaves the key schedule.
 */
import { toHex } from "../bytes/bytes.ts";

/** draft-ietf-tls-keylogfile §3.1: the labels of the TLS 1.3 secrets we derive. */
export const KeyLogLabel = {
  clientHandshake: "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
  serverHandshake: "SERVER_HANDSHAKE_TRAFFIC_SECRET",
  clientApplication: "CLIENT_TRAFFIC_SECRET_0",
  serverApplication: "SERVER_TRAFFIC_SECRET_0",
  exporter: "EXPORTER_SECRET",
} as const;
export type KeyLogLabel = (typeof KeyLogLabel)[keyof typeof KeyLogLabel];

/** One connection's key log; every method is a no-op when no key log is configured. */
export interface KeyLog {
  /** True when lines are written (callers skip deriving secrets only the log needs). */
  readonly enabled: boolean;
  /** client_handshake_traffic_secret and server_handshake_traffic_secret (RFC 8446 §7.1). */
  handshake(client: Uint8Array, server: Uint8Array): void;
  /** The first application traffic secrets and, derived only when logging, exporter_master_secret. */
  application(client: Uint8Array, server: Uint8Array, exporter: () => Uint8Array): void;
}

const NO_KEY_LOG: KeyLog = { enabled: false, handshake() {}, application() {} };

/** The key log of one connection, identified by its ClientHello.random. */
export function keyLogFor(sink: ((line: string) => void) | undefined, clientRandom: Uint8Array): KeyLog {
  if (sink === undefined) return NO_KEY_LOG;
  const random = toHex(clientRandom);
  const line = (label: KeyLogLabel, secret: Uint8Array) => sink(`${label} ${random} ${toHex(secret)}`);
  return {
    enabled: true,
    handshake(client, server) {
      line(KeyLogLabel.clientHandshake, client);
      line(KeyLogLabel.serverHandshake, server);
    },
    application(client, server, exporter) {
      line(KeyLogLabel.clientApplication, client);
      line(KeyLogLabel.serverApplication, server);
      const secret = exporter();
      line(KeyLogLabel.exporter, secret);
      secret.fill(0);
    },
  };
}
