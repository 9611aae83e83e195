/**
 * Replays every vector under vectors/ (issue 8 part 7):
 * - the files are exactly what the code produces now (regenerated with the
 *   recorded inputs and compared as text: `npm run vectors` after a
 *   deliberate wire change);
 * - TLS: each side alone, built from the inputs and fed the other side's
 *   recorded records, writes exactly its own recorded records, so a vector
 *   checks the client against a recorded server and the server against a
 *   recorded client;
 * - frames: each recorded frame decodes to its recorded fields and each
 *   header block, through one decoder per direction, to its header list.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createHmacDrbg } from "@noble/curves/utils.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatChunks, fromHex, toHex, utf8Encode } from "../../src/bytes/bytes.ts";
import { defaultCrypto } from "../../src/crypto/select.ts";
import {
  DEFAULT_MAX_HEADER_LIST_BYTES,
  FrameType,
  MAX_FRAME_BYTES_LIMIT,
} from "../../src/protocol/frames/constants.ts";
import { FrameDecoder } from "../../src/protocol/frames/frame-decoder.ts";
import { encodeFrame } from "../../src/protocol/frames/frame-encoder.ts";
import { HeaderDecoder } from "../../src/protocol/frames/header-decoder.ts";
import { settingsFromEntries } from "../../src/protocol/frames/settings.ts";
import { hkdfExpandLabel } from "../../src/tls/key-schedule.ts";
import { deterministicCrypto, HmacDrbg } from "./deterministic-crypto.ts";
import {
  type FrameDirection,
  type FrameVector,
  frameFromJson,
  frameToJson,
  headerFieldToJson,
} from "./frame-vectors.ts";
import { replayOneSide, runPair, type TlsVector } from "./tls-vectors.ts";
import { makeVectorFiles, VECTORS_DIR } from "./vector-files.ts";

function storedFiles(sub: string): string[] {
  return readdirSync(join(VECTORS_DIR, sub))
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((n) => `${sub}/${n}`);
}
const read = (path: string): string => readFileSync(join(VECTORS_DIR, path), "utf8");
const tlsVectors = (): TlsVector[] => storedFiles("tls").map((p) => JSON.parse(read(p)) as TlsVector);
const frameVectors = (): FrameVector[] =>
  storedFiles("frames").map((p) => JSON.parse(read(p)) as FrameVector);

describe("vectors: the files match the code", () => {
  it("regenerating every vector from its inputs gives the stored files byte for byte", () => {
    const made = makeVectorFiles();
    const stored = [...storedFiles("tls"), ...storedFiles("frames")].sort();
    assert.deepEqual(
      made.map((f) => f.path).sort(),
      stored,
      "vector files differ from the generated set: run `npm run vectors`",
    );
    for (const f of made) {
      assert.ok(
        f.text === read(f.path),
        `vectors/${f.path} is stale: run \`npm run vectors\` and review the diff`,
      );
    }
  });
  it("covers the profiles of issue 8 part 7", () => {
    const byName = new Map(tlsVectors().map((v) => [v.name, v]));
    const psk = byName.get("psk-dhe-ke-mlkem768-chacha20");
    assert.equal(psk?.negotiated.pskMode, "psk_dhe_ke");
    assert.equal(psk?.negotiated.group, "MLKEM768");
    assert.ok(psk?.secrets.ipsk, "RFC 9258 importer in use");
    assert.equal(byName.get("psk-dhe-ke-x25519mlkem768-chacha20")?.negotiated.group, "X25519MLKEM768");
    const pskKe = byName.get("psk-ke-chacha20");
    assert.equal(pskKe?.negotiated.pskMode, "psk_ke");
    assert.equal(pskKe?.negotiated.group, undefined, "no key exchange with psk_ke");
    const resumed = byName.get("resumption-psk-dhe-ke-mlkem768-chacha20");
    assert.equal(resumed?.negotiated.resumed, true);
    assert.equal(resumed?.negotiated.pskMode, "psk_dhe_ke");
    const cert = byName.get("certificate-mlkem768-mldsa44-chacha20");
    assert.equal(cert?.negotiated.signatureScheme, "ml-dsa-44");
    assert.equal(cert?.negotiated.resumed, false);
    for (const v of byName.values()) {
      assert.equal(v.negotiated.cipherSuite, "TLS_CHACHA20_POLY1305_SHA256");
      assert.equal(v.inputs.recordSizeLimit, 2048);
    }
    const frameTypes = new Set(frameVectors().flatMap((v) => v.frames.map((f) => f.frame.type)));
    for (const t of [
      "SETTINGS",
      "HEADERS",
      "MESSAGE",
      "TRAILERS",
      "RST",
      "WINDOW_UPDATE",
      "PING",
      "GOAWAY",
    ]) {
      assert.ok(frameTypes.has(t), `some frame vector has a ${t} frame`);
    }
    const frameNames = frameVectors().map((v) => v.name);
    for (const n of [
      "connection-start",
      "unary-call",
      "server-stream",
      "client-stream",
      "rst",
      "goaway",
      "ping",
      "window-update",
    ]) {
      assert.ok(frameNames.includes(n), `frame vector ${n}`);
    }
  });
});

describe("vectors: TLS transcripts", () => {
  for (const v of tlsVectors()) {
    describe(v.name, () => {
      for (const side of ["client", "server"] as const) {
        it(`the ${side} alone, fed the recorded peer, writes its recorded records`, () => {
          const own = side === "client" ? "client->server" : "server->client";
          const { written, conn } = replayOneSide(v, side);
          assert.equal(conn.error, undefined, conn.error?.message);
          assert.deepEqual(
            written,
            v.records.filter((r) => r.direction === own).map((r) => r.hex),
          );
          assert.equal(conn.info?.resumed, v.negotiated.resumed);
          assert.equal(conn.info?.pskMode, v.negotiated.pskMode);
          assert.equal(conn.info?.group, v.negotiated.group);
        });
      }
      it("its decrypted records carry the recorded application data and no record exceeds the limit", () => {
        const data = (dir: string) =>
          toHex(
            concatChunks(
              v.records
                .filter((r) => r.direction === dir && r.inner?.contentType === "application_data")
                .map((r) => fromHex(r.inner?.content ?? "")),
            ),
          );
        assert.equal(data("client->server"), v.inputs.clientData);
        assert.equal(data("server->client"), v.inputs.serverData);
        // RFC 8449 §4: a protected record's plaintext (inner content type included) stays within the limit.
        for (const r of v.records) {
          if (r.inner !== undefined) assert.ok(r.inner.content.length / 2 + 1 <= v.inputs.recordSizeLimit);
        }
        const types = v.records.flatMap((r) => r.handshake ?? []).map((m) => m.type);
        assert.equal(types[0], "client_hello");
        assert.equal(types.filter((t) => t === "finished").length, 2);
      });
    });
  }
  it("the resumption vector's ticket and PSK are the certificate vector's NewSessionTicket (RFC 8446 §4.6.1)", () => {
    const vs = tlsVectors();
    const cert = vs.find((x) => x.name === "certificate-mlkem768-mldsa44-chacha20")!;
    const resumed = vs.find((x) => x.name === "resumption-psk-dhe-ke-mlkem768-chacha20")!;
    const nst = cert.records.flatMap((r) => r.handshake ?? []).find((m) => m.type === "new_session_ticket")!;
    assert.equal(resumed.inputs.session?.ticket, nst.fields.ticket);
    const hash = defaultCrypto().hash("sha256");
    const master = fromHex(cert.secrets.resumption_master_secret!);
    // PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length)
    const psk = hkdfExpandLabel(hash, master, "resumption", fromHex(nst.fields.nonce as string), 32);
    assert.equal(resumed.inputs.session?.psk, toHex(psk));
  });
  it("a recorded server record changed by one bit makes the replayed client fail, not match", () => {
    const v = tlsVectors().find((x) => x.name === "psk-dhe-ke-mlkem768-chacha20")!;
    const index = v.records.findIndex(
      (r) => r.direction === "server->client" && r.protection === "handshake",
    );
    const bytes = fromHex(v.records[index]!.hex);
    bytes[bytes.length - 1]! ^= 1;
    const tampered = {
      ...v,
      records: v.records.map((r, i) => (i === index ? { ...r, hex: toHex(bytes) } : r)),
    };
    // RFC 8446 §5.2: a record that fails authentication is a fatal bad_record_mac (alert 20).
    assert.throws(() => replayOneSide(tampered, "client"), { code: "bad_record_mac", alert: 20 });
  });
  it("other seeds give other bytes (the inputs, not a constant, decide the transcript)", () => {
    const v = tlsVectors().find((x) => x.name === "psk-ke-chacha20")!;
    const again = runPair(v.inputs).records[0]!;
    assert.equal(toHex(again.bytes), v.records[0]!.hex);
    const other = runPair({ ...v.inputs, clientSeed: "00".repeat(32) }).records[0]!;
    assert.notEqual(toHex(other.bytes), v.records[0]!.hex);
  });
});

describe("vectors: frame sequences", () => {
  for (const v of frameVectors()) {
    it(`${v.name}: every frame decodes to its recorded fields and header list, and encodes back`, () => {
      const decoders = new Map<FrameDirection, HeaderDecoder>([
        ["client->server", new HeaderDecoder()],
        ["server->client", new HeaderDecoder()],
      ]);
      const announced = new Map<FrameDirection, number>();
      for (const entry of v.frames) {
        const frames = new FrameDecoder(MAX_FRAME_BYTES_LIMIT).push(fromHex(entry.hex));
        assert.equal(frames.length, 1);
        const frame = frames[0]!;
        if (frame.type === FrameType.SETTINGS && !frame.ack) {
          // SPEC "SETTINGS": values outside their ranges (below the defaults) are a PROTOCOL_ERROR.
          announced.set(entry.direction, settingsFromEntries(frame.entries).headerTableBytes);
        } else if (frame.type === FrameType.SETTINGS) {
          // The SETTINGS sender's decoder takes its announced capacity when the ACK arrives.
          const peer = entry.direction === "client->server" ? "server->client" : "client->server";
          const capacity = announced.get(peer);
          if (capacity !== undefined) decoders.get(entry.direction)!.setCapacity(capacity);
        }
        assert.deepEqual(frameToJson(frame), entry.frame);
        assert.equal(toHex(encodeFrame(frameFromJson(entry.frame))), entry.hex);
        if (entry.headers !== undefined) {
          assert.ok(frame.type !== "unknown" && "block" in frame);
          const decoded = decoders.get(entry.direction)!.decode(frame.block, DEFAULT_MAX_HEADER_LIST_BYTES);
          assert.deepEqual(decoded.fields.map(headerFieldToJson), entry.headers);
        }
      }
    });
  }
  it("a later header block depends on the earlier ones (the dynamic table is in the vector)", () => {
    const v = frameVectors().find((x) => x.name === "unary-call")!;
    const requests = v.frames.filter((f) => f.direction === "client->server" && f.frame.type === "HEADERS");
    assert.equal(requests.length, 2);
    assert.ok(requests[1]!.hex.length < requests[0]!.hex.length, "the second request reuses table entries");
    const second = fromHex(requests[1]!.frame.block as string);
    assert.throws(
      () => new HeaderDecoder().decode(second, DEFAULT_MAX_HEADER_LIST_BYTES),
      "needs the first block's inserts",
    );
  });
});

describe("vectors: the deterministic DRBG", () => {
  it("is HMAC_DRBG-SHA-256: it matches @noble/curves' independent HMAC-DRBG for the first two requests", () => {
    const seed = utf8Encode("seed for the DRBG cross-check");
    const label = utf8Encode("label");
    const ours = new HmacDrbg(defaultCrypto().hash("sha256"), seed, label);
    const first = ours.generate(64);
    const second = ours.generate(64);
    const hmacFn = (key: Uint8Array, message: Uint8Array) => hmac(sha256, key, message);
    const outputs: Uint8Array[] = [];
    createHmacDrbg<Uint8Array>(
      32,
      64,
      hmacFn,
    )(new Uint8Array([...seed, ...label]), (candidate) => {
      outputs.push(candidate);
      return outputs.length === 2 ? candidate : undefined;
    });
    assert.equal(toHex(first), toHex(outputs[0]!));
    assert.equal(toHex(second), toHex(outputs[1]!));
    assert.notEqual(toHex(first), toHex(second));
  });
  it("keys and randomness repeat for one seed and label and differ for another", () => {
    const a = deterministicCrypto(new Uint8Array(32), "a");
    const b = deterministicCrypto(new Uint8Array(32), "a");
    const c = deterministicCrypto(new Uint8Array(32), "b");
    const pk = (x: typeof a) => toHex(x.kem("ml-kem-768").generateKeyPair().publicKey);
    assert.equal(pk(a), pk(b));
    assert.notEqual(pk(a), pk(c));
    const sig = (x: typeof a) => {
      const s = x.signature("ml-dsa-44");
      const { privateKey } = s.generateKeyPair();
      return toHex(s.importPrivateKey(privateKey).sign(utf8Encode("m")));
    };
    assert.equal(
      sig(deterministicCrypto(new Uint8Array(32), "s")),
      sig(deterministicCrypto(new Uint8Array(32), "s")),
    );
    assert.throws(() => a.kem("p256"), /no seeded p256/);
  });
});
