/**
 * Extension blocks (RFC 8446 §4.2): decoding with the duplicate and
 * per-message rules, and one encoder/decoder per extension body.
 */

import type { ByteReader } from "../../bytes/byte-reader.ts";
import type { ByteWriter } from "../../bytes/byte-writer.ts";
import { utf8Decode, utf8Encode } from "../../bytes/bytes.ts";
import { fatal } from "../alert.ts";
import { decodeAll as decode, encodeWith as encode } from "./cursor.ts";
import { MAX_ALPN_PROTOCOLS, MAX_PSK_IDENTITIES } from "./limits.ts";
import { ExtensionType as E } from "./types.ts";

export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

/** The messages an extension may appear in (the "TLS 1.3" column of §4.2's table). */
export type ExtensionContext = "CH" | "SH" | "HRR" | "EE" | "CT" | "CR" | "NST";

const ALLOWED: ReadonlyMap<number, readonly ExtensionContext[]> = new Map<number, ExtensionContext[]>([
  [E.server_name, ["CH", "EE"]],
  [E.max_fragment_length, ["CH", "EE"]],
  [E.status_request, ["CH", "CR", "CT"]],
  [E.supported_groups, ["CH", "EE"]],
  [E.signature_algorithms, ["CH", "CR"]],
  [E.use_srtp, ["CH", "EE"]],
  [E.heartbeat, ["CH", "EE"]],
  [E.application_layer_protocol_negotiation, ["CH", "EE"]],
  [E.signed_certificate_timestamp, ["CH", "CR", "CT"]],
  [E.client_certificate_type, ["CH", "EE"]],
  [E.server_certificate_type, ["CH", "EE"]],
  [E.padding, ["CH"]],
  [E.record_size_limit, ["CH", "EE"]],
  [E.pre_shared_key, ["CH", "SH"]],
  [E.early_data, ["CH", "EE", "NST"]],
  [E.supported_versions, ["CH", "SH", "HRR"]],
  [E.cookie, ["CH", "HRR"]],
  [E.psk_key_exchange_modes, ["CH"]],
  [E.certificate_authorities, ["CH", "CR"]],
  [E.oid_filters, ["CR"]],
  [E.post_handshake_auth, ["CH"]],
  [E.signature_algorithms_cert, ["CH", "CR"]],
  [E.key_share, ["CH", "SH", "HRR"]],
]);

/** An extension block, in wire order, with lookup by type. */
export class Extensions {
  private readonly byType = new Map<number, Uint8Array>();
  constructor(readonly list: readonly Extension[]) {
    for (const e of list) {
      // §4.2: "There MUST NOT be more than one extension of the same type in a given extension block."
      if (this.byType.has(e.type)) throw fatal("illegal_parameter", `duplicate extension ${e.type}`);
      this.byType.set(e.type, e.data);
    }
  }
  get(type: number): Uint8Array | undefined {
    return this.byType.get(type);
  }
  has(type: number): boolean {
    return this.byType.has(type);
  }
  /**
   * Applies §4.2's rules for a received block. A known extension outside its
   * messages is illegal_parameter. In the messages that answer a request
   * (SH, HRR, EE, CT), an extension we did not offer is unsupported_extension
   * (the cookie in HRR is the one exception, listed in `offered` by callers).
   * In CH, CR and NST unknown extensions are ignored.
   */
  check(context: ExtensionContext, offered?: ReadonlySet<number>): void {
    for (const e of this.list) {
      const allowed = ALLOWED.get(e.type);
      if (allowed && !allowed.includes(context)) {
        throw fatal("illegal_parameter", `extension ${e.type} is not allowed in ${context}`);
      }
      if (offered && !offered.has(e.type)) {
        throw fatal("unsupported_extension", `${context} carries extension ${e.type} that was not offered`);
      }
    }
  }
}

export function readExtensions(r: ByteReader, minBytes = 0): Extensions {
  const list = r.list(2, minBytes, 0xffff, "extensions", (x) => ({
    type: x.u16("extension type"),
    data: x.vector(2, 0, 0xffff, "extension data"),
  }));
  return new Extensions(list);
}

/** Bytes writeExtensions writes for `list`: the list's length and each type, length and data. */
export function extensionsBytes(list: readonly Extension[]): number {
  let n = 2;
  for (const e of list) n += 4 + e.data.length;
  return n;
}

export function writeExtensions(w: ByteWriter, list: readonly Extension[]): void {
  w.prefixed(2, (x) => {
    for (const e of list) x.u16(e.type).vector(2, e.data);
  });
}

// --- supported_versions (§4.2.1)
export const supportedVersionsClient = {
  encode: (versions: readonly number[]) =>
    encode((w) =>
      w.prefixed(1, (x) => {
        for (const v of versions) x.u16(v);
      }),
    ),
  decode: (d: Uint8Array) =>
    decode(d, "supported_versions", (r) => r.list(1, 2, 254, "versions", (x) => x.u16())),
};
export const supportedVersionsServer = {
  encode: (version: number) => encode((w) => w.u16(version)),
  decode: (d: Uint8Array) => decode(d, "supported_versions", (r) => r.u16()),
};

// --- u16 lists: supported_groups (§4.2.7), signature_algorithms (§4.2.3)
export const u16List = {
  encode: (values: readonly number[]) =>
    encode((w) =>
      w.prefixed(2, (x) => {
        for (const v of values) x.u16(v);
      }),
    ),
  decode: (d: Uint8Array, what: string) => decode(d, what, (r) => r.list(2, 2, 0xfffe, what, (x) => x.u16())),
};

// --- key_share (§4.2.8)
export interface KeyShareEntry {
  readonly group: number;
  readonly share: Uint8Array;
}
const writeShare = (w: ByteWriter, e: KeyShareEntry) => w.u16(e.group).vector(2, e.share);
const readShare = (r: ByteReader): KeyShareEntry => ({
  group: r.u16("group"),
  share: r.vector(2, 1, 0xffff, "key_exchange"),
});
export const keyShareClient = {
  encode: (entries: readonly KeyShareEntry[]) =>
    encode(
      (w) =>
        w.prefixed(2, (x) => {
          for (const e of entries) writeShare(x, e);
        }),
      entries.reduce((n, e) => n + 4 + e.share.length, 2),
    ),
  decode: (d: Uint8Array) => decode(d, "key_share", (r) => r.list(2, 0, 0xffff, "client_shares", readShare)),
};
export const keyShareServer = {
  encode: (entry: KeyShareEntry) => encode((w) => writeShare(w, entry), 4 + entry.share.length),
  decode: (d: Uint8Array) => decode(d, "key_share", readShare),
};
export const keyShareHelloRetry = {
  encode: (group: number) => encode((w) => w.u16(group)),
  decode: (d: Uint8Array) => decode(d, "key_share", (r) => r.u16("selected_group")),
};

// --- server_name (RFC 6066 §3); only host_name (0) is defined
const HOST_NAME = 0;
export const serverName = {
  encode: (host: string) => encode((w) => w.prefixed(2, (x) => x.u8(HOST_NAME).vector(2, utf8Encode(host)))),
  decode: (d: Uint8Array): string | undefined =>
    decode(d, "server_name", (r) => {
      const names = r.list(
        2,
        1,
        0xffff,
        "server_name_list",
        (x) => ({ type: x.u8(), name: x.vector(2, 1, 0xffff, "HostName") }),
        8,
      );
      const host = names.filter((n) => n.type === HOST_NAME);
      // RFC 6066 §3: at most one name of each type.
      if (host.length > 1) throw fatal("illegal_parameter", "server_name: two host names");
      const name = host[0]?.name;
      if (!name) return undefined;
      const text = utf8Decode(name);
      if (!/^[A-Za-z0-9_.-]+$/.test(text) || text.length > 253)
        throw fatal("illegal_parameter", "server_name: not a DNS host name");
      return text.toLowerCase();
    }),
};

// --- ALPN (RFC 7301 §3.1)
export const alpn = {
  encode: (protocols: readonly string[]) =>
    encode((w) =>
      w.prefixed(2, (x) => {
        for (const p of protocols) x.vector(1, utf8Encode(p));
      }),
    ),
  decode: (d: Uint8Array): string[] =>
    decode(d, "alpn", (r) =>
      r.list(
        2,
        2,
        0xffff,
        "protocol_name_list",
        (x) => utf8Decode(x.vector(1, 1, 255, "ProtocolName")),
        MAX_ALPN_PROTOCOLS,
      ),
    ),
};

// --- psk_key_exchange_modes (§4.2.9)
export const pskModes = {
  encode: (modes: readonly number[]) =>
    encode((w) =>
      w.prefixed(1, (x) => {
        for (const m of modes) x.u8(m);
      }),
    ),
  decode: (d: Uint8Array) =>
    decode(d, "psk_key_exchange_modes", (r) => r.list(1, 1, 255, "ke_modes", (x) => x.u8())),
};

// --- pre_shared_key (§4.2.11)
export interface PskIdentity {
  readonly identity: Uint8Array;
  readonly obfuscatedTicketAge: number;
}
export interface OfferedPsks {
  readonly identities: readonly PskIdentity[];
  readonly binders: readonly Uint8Array[];
}
export const preSharedKeyClient = {
  encode: (o: OfferedPsks) =>
    encode(
      (w) => {
        w.prefixed(2, (x) => {
          for (const i of o.identities) x.vector(2, i.identity).u32(i.obfuscatedTicketAge);
        });
        w.prefixed(2, (x) => {
          for (const b of o.binders) x.vector(1, b);
        });
      },
      o.identities.reduce((n, i) => n + 2 + i.identity.length + 4, 2) +
        preSharedKeyClient.bindersLength(o.binders),
    ),
  decode: (d: Uint8Array): OfferedPsks =>
    decode(d, "pre_shared_key", (r) => {
      const identities = r.list(
        2,
        7,
        0xffff,
        "identities",
        (x) => ({ identity: x.vector(2, 1, 0xffff, "identity"), obfuscatedTicketAge: x.u32() }),
        MAX_PSK_IDENTITIES,
      );
      const binders = r.list(
        2,
        33,
        0xffff,
        "binders",
        (x) => x.vector(1, 32, 255, "binder"),
        MAX_PSK_IDENTITIES,
      );
      // §4.2.11: one binder per identity.
      if (binders.length !== identities.length)
        throw fatal("illegal_parameter", "pre_shared_key: binder count differs from identity count");
      return { identities, binders };
    }),
  /** Bytes at the end of the ClientHello that the binders cover: the binders list with its length (§4.2.11.2). */
  bindersLength: (binders: readonly Uint8Array[]) => 2 + binders.reduce((n, b) => n + 1 + b.length, 0),
  /**
   * Writes the binders list over the one that ends `clientHello` (encoded with
   * placeholder binders of the same lengths, §4.2.11.2), in place; a list of
   * another size, or a tail that is not such a list, is an internal error.
   */
  writeBinders: (clientHello: Uint8Array, binders: readonly Uint8Array[]): void => {
    const list = encode((w) => {
      w.prefixed(2, (x) => {
        for (const b of binders) x.vector(1, b);
      });
    });
    const at = clientHello.length - list.length;
    if (at < 0 || clientHello[at] !== list[0] || clientHello[at + 1] !== list[1])
      throw fatal(
        "internal_error",
        "pre_shared_key: the ClientHello does not end in binders of these lengths",
      );
    clientHello.set(list, at);
  },
};
export const preSharedKeyServer = {
  encode: (selected: number) => encode((w) => w.u16(selected)),
  decode: (d: Uint8Array) => decode(d, "pre_shared_key", (r) => r.u16("selected_identity")),
};

// --- cookie (§4.2.2)
export const cookie = {
  encode: (c: Uint8Array) => encode((w) => w.vector(2, c), 2 + c.length),
  decode: (d: Uint8Array) => decode(d, "cookie", (r) => r.vector(2, 1, 0xffff, "cookie")),
};

// --- record_size_limit (RFC 8449 §4)
export const recordSizeLimit = {
  encode: (limit: number) => encode((w) => w.u16(limit)),
  decode: (d: Uint8Array) => decode(d, "record_size_limit", (r) => r.u16()),
};

// --- extensions with empty bodies (server_name in EE, early_data in CH/EE, post_handshake_auth)
export const empty = {
  encode: () => new Uint8Array(0),
  decode: (d: Uint8Array, what: string) => decode(d, what, () => undefined),
};
