/**
 * A byte-level observer of one TLS 1.3 connection, used by the OpenSSL peer
 * (openssl-peer.mjs) to report what crossed the wire independently of both
 * TLS stacks: the ClientHello's offered groups and key shares, the server's
 * selected group and cipher suite, whether a HelloRetryRequest happened, and
 * the byte counts per direction. Only plaintext handshake records are parsed
 * (RFC 8446 §5.1): everything after ServerHello is encrypted and ignored.
 *
 * Plain JS (not TS) because the peer runs on Node 24 without a loader.
 */
import { Duplex } from "node:stream";

/** RFC 8446 §4.1.3: ServerHello.random of a HelloRetryRequest. */
const HRR_RANDOM = Buffer.from("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c", "hex");
const RECORD_HEADER_BYTES = 5;
const HANDSHAKE_HEADER_BYTES = 4;
/** Stop collecting plaintext after this much: a ClientHello with every PQ share is well under it. */
const MAX_PLAINTEXT_HANDSHAKE_BYTES = 64 * 1024;
const CONTENT_HANDSHAKE = 22;
const CONTENT_APPLICATION_DATA = 23;
const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const EXT_SERVER_NAME = 0;
const EXT_SUPPORTED_GROUPS = 10;
const EXT_SIGNATURE_ALGORITHMS = 13;
const EXT_ALPN = 16;
const EXT_PRE_SHARED_KEY = 41;
const EXT_KEY_SHARE = 51;

export const GROUP_NAMES = new Map([
  [0x11ec, "X25519MLKEM768"],
  [0x11eb, "SecP256r1MLKEM768"],
  [0x11ed, "SecP384r1MLKEM1024"],
  [0x0200, "MLKEM512"],
  [0x0201, "MLKEM768"],
  [0x0202, "MLKEM1024"],
  [0x001d, "x25519"],
  [0x001e, "x448"],
  [0x0017, "secp256r1"],
  [0x0018, "secp384r1"],
  [0x0019, "secp521r1"],
  [0x2fb3, "x25519_sntrup761"],
]);

export const SUITE_NAMES = new Map([
  [0x1301, "TLS_AES_128_GCM_SHA256"],
  [0x1302, "TLS_AES_256_GCM_SHA384"],
  [0x1303, "TLS_CHACHA20_POLY1305_SHA256"],
]);

/** IANA SignatureScheme names (RFC 8446 §4.2.3; ML-DSA from draft-ietf-tls-mldsa). */
export const SIGNATURE_NAMES = new Map([
  [0x0401, "rsa_pkcs1_sha256"],
  [0x0501, "rsa_pkcs1_sha384"],
  [0x0601, "rsa_pkcs1_sha512"],
  [0x0403, "ecdsa_secp256r1_sha256"],
  [0x0503, "ecdsa_secp384r1_sha384"],
  [0x0603, "ecdsa_secp521r1_sha512"],
  [0x0804, "rsa_pss_rsae_sha256"],
  [0x0805, "rsa_pss_rsae_sha384"],
  [0x0806, "rsa_pss_rsae_sha512"],
  [0x0807, "ed25519"],
  [0x0808, "ed448"],
  [0x0809, "rsa_pss_pss_sha256"],
  [0x080a, "rsa_pss_pss_sha384"],
  [0x080b, "rsa_pss_pss_sha512"],
  [0x0201, "rsa_pkcs1_sha1"],
  [0x0203, "ecdsa_sha1"],
  [0x0904, "mldsa44"],
  [0x0905, "mldsa65"],
  [0x0906, "mldsa87"],
]);

const groupName = (code) => GROUP_NAMES.get(code) ?? `0x${code.toString(16).padStart(4, "0")}`;
const suiteName = (code) => SUITE_NAMES.get(code) ?? `0x${code.toString(16).padStart(4, "0")}`;
const signatureName = (code) => SIGNATURE_NAMES.get(code) ?? `0x${code.toString(16).padStart(4, "0")}`;

/** A bounds-checked reader: any overrun throws, which the tap reports as a parse error. */
class Reader {
  constructor(buf) {
    this.buf = buf;
    this.pos = 0;
  }
  need(n) {
    if (this.pos + n > this.buf.length) throw new Error(`truncated at ${this.pos}+${n}/${this.buf.length}`);
  }
  u8() {
    this.need(1);
    return this.buf[this.pos++];
  }
  u16() {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  bytes(n) {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  vec8() {
    return this.bytes(this.u8());
  }
  vec16() {
    return this.bytes(this.u16());
  }
  get done() {
    return this.pos >= this.buf.length;
  }
}

function extensions(r) {
  const out = new Map();
  if (r.done) return out;
  const ext = new Reader(r.vec16());
  while (!ext.done) {
    const type = ext.u16();
    out.set(type, ext.vec16());
  }
  return out;
}

function parseClientHello(body) {
  const r = new Reader(body);
  r.u16(); // legacy_version
  r.bytes(32); // random
  r.vec8(); // legacy_session_id
  const suites = new Reader(r.vec16());
  const cipherSuites = [];
  while (!suites.done) cipherSuites.push(suiteName(suites.u16()));
  r.vec8(); // legacy_compression_methods
  const ext = extensions(r);
  const out = {
    cipherSuites,
    supportedGroups: [],
    signatureAlgorithms: [],
    keyShares: [],
    alpn: [],
    serverName: undefined,
    psk: false,
  };
  const groups = ext.get(EXT_SUPPORTED_GROUPS);
  if (groups) {
    const g = new Reader(new Reader(groups).vec16());
    while (!g.done) out.supportedGroups.push(groupName(g.u16()));
  }
  const sigs = ext.get(EXT_SIGNATURE_ALGORITHMS);
  if (sigs) {
    const g = new Reader(new Reader(sigs).vec16());
    while (!g.done) out.signatureAlgorithms.push(signatureName(g.u16()));
  }
  const ks = ext.get(EXT_KEY_SHARE);
  if (ks) {
    const k = new Reader(new Reader(ks).vec16());
    while (!k.done) {
      const group = groupName(k.u16());
      out.keyShares.push({ group, bytes: k.vec16().length });
    }
  }
  const alpn = ext.get(EXT_ALPN);
  if (alpn) {
    const a = new Reader(new Reader(alpn).vec16());
    while (!a.done) out.alpn.push(a.vec8().toString("latin1"));
  }
  const sni = ext.get(EXT_SERVER_NAME);
  if (sni) {
    const list = new Reader(new Reader(sni).vec16());
    if (list.u8() === 0) out.serverName = list.vec16().toString("latin1");
  }
  out.psk = ext.has(EXT_PRE_SHARED_KEY);
  return out;
}

function parseServerHello(body) {
  const r = new Reader(body);
  r.u16();
  const random = r.bytes(32);
  r.vec8();
  const cipherSuite = suiteName(r.u16());
  r.u8();
  const ext = extensions(r);
  const helloRetry = random.equals(HRR_RANDOM);
  const out = {
    helloRetry,
    cipherSuite,
    group: undefined,
    keyShareBytes: 0,
    psk: ext.has(EXT_PRE_SHARED_KEY),
  };
  const ks = ext.get(EXT_KEY_SHARE);
  if (ks) {
    const k = new Reader(ks);
    out.group = groupName(k.u16());
    // HRR carries only the selected group (§4.2.8); ServerHello a KeyShareEntry.
    if (!helloRetry) out.keyShareBytes = k.vec16().length;
  }
  return out;
}

/** Reassembles plaintext handshake messages from one direction's record stream. */
class DirectionParser {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.records = Buffer.alloc(0);
    this.handshake = Buffer.alloc(0);
    this.stopped = false;
    this.seen = 0;
  }
  push(chunk) {
    if (this.stopped) return;
    this.seen += chunk.length;
    if (this.seen > MAX_PLAINTEXT_HANDSHAKE_BYTES) {
      this.stopped = true;
      return;
    }
    this.records = Buffer.concat([this.records, chunk]);
    while (this.records.length >= RECORD_HEADER_BYTES) {
      const type = this.records[0];
      const len = this.records.readUInt16BE(3);
      if (this.records.length < RECORD_HEADER_BYTES + len) return;
      const fragment = this.records.subarray(RECORD_HEADER_BYTES, RECORD_HEADER_BYTES + len);
      this.records = this.records.subarray(RECORD_HEADER_BYTES + len);
      if (type === CONTENT_APPLICATION_DATA) {
        // Encrypted from here on (the peer's first protected record).
        this.stopped = true;
        return;
      }
      if (type === CONTENT_HANDSHAKE) this.handshakeBytes(fragment);
    }
  }
  handshakeBytes(fragment) {
    this.handshake = Buffer.concat([this.handshake, fragment]);
    while (this.handshake.length >= HANDSHAKE_HEADER_BYTES) {
      const type = this.handshake[0];
      const len = this.handshake.readUIntBE(1, 3);
      if (this.handshake.length < HANDSHAKE_HEADER_BYTES + len) return;
      const body = this.handshake.subarray(HANDSHAKE_HEADER_BYTES, HANDSHAKE_HEADER_BYTES + len);
      this.handshake = this.handshake.subarray(HANDSHAKE_HEADER_BYTES + len);
      this.onMessage(type, body);
    }
  }
}

/**
 * Wraps `socket` (a net.Socket) in a Duplex that forwards every byte and
 * records what it saw. `local` says which side this process is, so that
 * "sent"/"received" map to client/server.
 */
export function tapSocket(socket, local) {
  const summary = {
    clientHellos: [],
    serverHello: undefined,
    helloRetry: undefined,
    bytesFromClient: 0,
    bytesFromServer: 0,
    parseError: undefined,
  };
  const safe = (fn) => (type, body) => {
    try {
      fn(type, body);
    } catch (e) {
      summary.parseError = String(e.message ?? e);
    }
  };
  const fromClient = new DirectionParser(
    safe((type, body) => {
      if (type === HS_CLIENT_HELLO) summary.clientHellos.push(parseClientHello(body));
    }),
  );
  const fromServer = new DirectionParser(
    safe((type, body) => {
      if (type !== HS_SERVER_HELLO) return;
      const sh = parseServerHello(body);
      if (sh.helloRetry) summary.helloRetry = sh;
      else summary.serverHello = sh;
    }),
  );
  const incoming = local === "server" ? fromClient : fromServer;
  const outgoing = local === "server" ? fromServer : fromClient;
  const count = (dir, n) => {
    if ((dir === "in") === (local === "server")) summary.bytesFromClient += n;
    else summary.bytesFromServer += n;
  };

  const duplex = new Duplex({
    write(chunk, _enc, cb) {
      count("out", chunk.length);
      outgoing.push(chunk);
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end(cb);
    },
    read() {
      socket.resume();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on("data", (chunk) => {
    count("in", chunk.length);
    incoming.push(chunk);
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on("end", () => duplex.push(null));
  socket.on("error", (e) => duplex.destroy(e));
  socket.on("close", () => {
    if (!duplex.destroyed) duplex.destroy();
  });
  return { duplex, summary };
}
