/**
 * Extension body decoders (RFC 8446 §4.2; RFC 6066 §3; RFC 7301; RFC 8449):
 * the first byte picks the decoder, the rest is the extension_data. What
 * decodes must encode back to the same bytes (server_name excepted: it
 * lowercases and drops non-host_name entries).
 */
import { bytesEqual } from "../../../src/bytes/bytes.ts";
import { TlsError } from "../../../src/tls/alert.ts";
import {
  alpn,
  cookie,
  empty,
  keyShareClient,
  keyShareHelloRetry,
  keyShareServer,
  preSharedKeyClient,
  preSharedKeyServer,
  pskModes,
  recordSizeLimit,
  serverName,
  supportedVersionsClient,
  supportedVersionsServer,
  u16List,
} from "../../../src/tls/codec/extensions.ts";
import { FuzzInput } from "../harness/input.ts";
import { check, type FuzzTarget, jazzerEntry } from "../harness/target.ts";

/** Decode, then re-encode (undefined: no canonical re-encoding). */
const DECODERS: readonly ((d: Uint8Array) => Uint8Array | undefined)[] = [
  (d) => supportedVersionsClient.encode(supportedVersionsClient.decode(d)),
  (d) => supportedVersionsServer.encode(supportedVersionsServer.decode(d)),
  (d) => u16List.encode(u16List.decode(d, "supported_groups")),
  (d) => keyShareClient.encode(keyShareClient.decode(d)),
  (d) => keyShareServer.encode(keyShareServer.decode(d)),
  (d) => keyShareHelloRetry.encode(keyShareHelloRetry.decode(d)),
  (d) => {
    serverName.decode(d);
    return undefined;
  },
  (d) => {
    // ALPN names are bytes on the wire but strings here: a name that is not UTF-8 cannot round-trip.
    const names = alpn.decode(d);
    return names.some((n) => n.includes("\ufffd")) ? undefined : alpn.encode(names);
  },
  (d) => pskModes.encode(pskModes.decode(d)),
  (d) => preSharedKeyClient.encode(preSharedKeyClient.decode(d)),
  (d) => preSharedKeyServer.encode(preSharedKeyServer.decode(d)),
  (d) => cookie.encode(cookie.decode(d)),
  (d) => recordSizeLimit.encode(recordSizeLimit.decode(d)),
  (d) => {
    empty.decode(d, "early_data");
    return empty.encode();
  },
];

export const target: FuzzTarget = {
  name: "tls-extensions",
  description: "extension bodies: [decoder index] then extension_data",
  typed: [TlsError],
  run(data) {
    const input = new FuzzInput(data);
    const which = input.pick(DECODERS.length);
    const body = input.rest();
    const again = DECODERS[which]!(body);
    check(
      again === undefined || bytesEqual(again, body),
      `extension decoder ${which} re-encodes differently`,
    );
  },
};

export const fuzz = jazzerEntry(target);
