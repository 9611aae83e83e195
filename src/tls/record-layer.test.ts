import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CIPHER_SUITES, type CipherSuiteInfo, cipherSuiteByName } from "../crypto/registry.ts";
import { createCrypto, defaultCrypto } from "../crypto/select.ts";
import type { Crypto } from "../crypto/types.ts";
import { TlsError } from "./alert.ts";
import { trafficKeys } from "./key-schedule.ts";
import {
  ContentType,
  encodePlainRecord,
  KEY_UPDATE_AFTER_RECORDS,
  MAX_CIPHERTEXT_BYTES,
  MAX_DEFRAMER_BUFFER_BYTES,
  MAX_PLAINTEXT_BYTES,
  maxCiphertextForRecordSizeLimit,
  RecordDeframer,
  RecordProtector,
  type TlsRecord,
} from "./record-layer.ts";

const crypto = defaultCrypto();
const aes128 = cipherSuiteByName("TLS_AES_128_GCM_SHA256");

function isAlert(alert: string) {
  return (e: unknown) => e instanceof TlsError && e.alertName === alert && e.origin === "local";
}

function header(type: number, version: number, length: number): Uint8Array {
  return Uint8Array.of(type, version >> 8, version & 0xff, length >> 8, length & 0xff);
}

function deframeAll(d: RecordDeframer): TlsRecord[] {
  const out: TlsRecord[] = [];
  for (let r = d.next(); r !== undefined; r = d.next()) out.push(r);
  return out;
}

/** Seals raw TLSInnerPlaintext bytes at sequence 0, bypassing RecordProtector's own checks. */
function sealRawInner(c: Crypto, suite: CipherSuiteInfo, secret: Uint8Array, inner: Uint8Array): TlsRecord {
  const aead = c.aead(suite.aead);
  const { key, iv } = trafficKeys(c.hash(suite.hash), aead, secret);
  const fragmentLength = inner.length + 16;
  const body = aead.importKey(key).seal(iv, inner, header(23, 0x0303, fragmentLength));
  return { type: 23, legacyVersion: 0x0303, fragment: body };
}

describe("RecordDeframer (RFC 8446 §5.1)", () => {
  const recordA = encodePlainRecord(ContentType.handshake, crypto.randomBytes(300), 0x0301);
  const recordB = encodePlainRecord(ContentType.handshake, crypto.randomBytes(1000));
  const recordC = Uint8Array.from([...header(23, 0x0303, 40), ...crypto.randomBytes(40)]);
  const stream = Uint8Array.from([...recordA, ...recordB, ...recordC]);

  test("records come out the same whatever the chunking", () => {
    const whole = new RecordDeframer();
    whole.push(stream);
    const expected = deframeAll(whole);
    assert.equal(expected.length, 3);
    assert.deepEqual(
      expected.map((r) => [r.type, r.legacyVersion, r.fragment.length]),
      [
        [22, 0x0301, 300],
        [22, 0x0303, 1000],
        [23, 0x0303, 40],
      ],
    );
    for (const step of [1, 2, 5, 7, 301, 999]) {
      const d = new RecordDeframer();
      const got: TlsRecord[] = [];
      for (let i = 0; i < stream.length; i += step) {
        d.push(stream.subarray(i, i + step));
        got.push(...deframeAll(d));
      }
      assert.deepEqual(got, expected, `chunks of ${step}`);
      assert.equal(d.buffered, 0);
    }
  });

  test("a full-size record trickled one byte at a time", () => {
    const body = crypto.randomBytes(MAX_CIPHERTEXT_BYTES);
    const bytes = Uint8Array.from([...header(23, 0x0303, body.length), ...body]);
    const d = new RecordDeframer();
    let record: TlsRecord | undefined;
    for (let i = 0; i < bytes.length; i++) {
      d.push(bytes.subarray(i, i + 1));
      record = d.next();
      assert.equal(record === undefined, i < bytes.length - 1);
    }
    assert.deepEqual(record?.fragment, body);
    assert.equal(d.buffered, 0);
  });

  test("a record within one pushed chunk is a view, not a copy", () => {
    const d = new RecordDeframer();
    d.push(stream);
    const r = d.next()!;
    assert.equal(r.fragment.buffer, stream.buffer);
    assert.equal(d.buffered, stream.length - recordA.length);
  });

  test("header checks fail as soon as the header is in", () => {
    const cases: [Uint8Array, string][] = [
      [header(24, 0x0303, 10), "unexpected_message"], // unknown content type
      [header(0, 0x0303, 10), "unexpected_message"],
      [header(22, 0x0203, 10), "decode_error"], // not a TLS major version
      [header(21, 0x1603, 10), "decode_error"],
      [header(23, 0x0301, 10), "decode_error"], // protected records always say 0x0303 (§5.2)
      [header(23, 0x0304, 10), "decode_error"],
      [header(22, 0x0303, MAX_PLAINTEXT_BYTES + 1), "record_overflow"],
      [header(21, 0x0303, MAX_PLAINTEXT_BYTES + 1), "record_overflow"],
      [header(23, 0x0303, MAX_CIPHERTEXT_BYTES + 1), "record_overflow"],
      [header(22, 0x0303, 0), "decode_error"], // zero-length handshake fragment
      [header(21, 0x0303, 0), "decode_error"], // zero-length alert fragment
    ];
    for (const [h, alert] of cases) {
      const d = new RecordDeframer();
      d.push(h);
      assert.throws(() => d.next(), isAlert(alert), `${h} -> ${alert}`);
      // The deframer stays failed.
      assert.throws(() => d.next(), isAlert(alert));
      assert.throws(() => d.push(new Uint8Array(1)), isAlert(alert));
    }
  });

  test("limits are inclusive", () => {
    const d = new RecordDeframer();
    d.push(header(23, 0x0303, MAX_CIPHERTEXT_BYTES));
    d.push(new Uint8Array(MAX_CIPHERTEXT_BYTES));
    assert.equal(d.next()?.fragment.length, MAX_CIPHERTEXT_BYTES);
    d.push(header(22, 0x0303, MAX_PLAINTEXT_BYTES));
    d.push(new Uint8Array(MAX_PLAINTEXT_BYTES));
    assert.equal(d.next()?.fragment.length, MAX_PLAINTEXT_BYTES);
  });

  test("legacy_record_version of plaintext records is ignored (§5.1), before and after a 0x0303 record", () => {
    const d = new RecordDeframer();
    d.push(recordA); // 0x0301, first flight
    d.push(recordB); // 0x0303
    assert.equal(deframeAll(d).length, 2);
    for (const [type, version, body] of [
      [ContentType.handshake, 0x0300, Uint8Array.of(1, 0, 0, 0)],
      [ContentType.handshake, 0x0302, Uint8Array.of(1, 0, 0, 0)],
      [ContentType.change_cipher_spec, 0x0301, Uint8Array.of(1)],
      [ContentType.change_cipher_spec, 0x0304, Uint8Array.of(1)],
      [ContentType.alert, 0x0301, Uint8Array.of(2, 40)],
    ] as const) {
      d.push(encodePlainRecord(type, body, version));
      const r = d.next();
      assert.equal(r?.type, type);
      assert.equal(r?.legacyVersion, version);
    }
  });

  test("setMaxCiphertext lowers the protected-record limit (RFC 8449)", () => {
    const limit = maxCiphertextForRecordSizeLimit(1024);
    assert.equal(limit, 1024 + 16);
    assert.equal(maxCiphertextForRecordSizeLimit(1 << 20), MAX_PLAINTEXT_BYTES + 1 + 16);
    const d = new RecordDeframer();
    d.setMaxCiphertext(limit);
    d.push(header(23, 0x0303, limit));
    d.push(new Uint8Array(limit));
    assert.ok(d.next());
    d.push(header(23, 0x0303, limit + 1));
    assert.throws(() => d.next(), isAlert("record_overflow"));
    const e = new RecordDeframer();
    assert.throws(() => e.setMaxCiphertext(63), isAlert("internal_error"));
    assert.throws(() => e.setMaxCiphertext(MAX_CIPHERTEXT_BYTES + 1), isAlert("internal_error"));
  });

  test("a caller that never drains hits the buffer bound", () => {
    const d = new RecordDeframer();
    const chunk = new Uint8Array(256 * 1024);
    chunk.set(header(23, 0x0303, 100));
    let pushed = 0;
    assert.throws(() => {
      for (;;) {
        d.push(chunk);
        pushed += chunk.length;
      }
    }, isAlert("internal_error"));
    assert.ok(pushed > MAX_DEFRAMER_BUFFER_BYTES && pushed <= MAX_DEFRAMER_BUFFER_BYTES + chunk.length);
  });
});

describe("encodePlainRecord", () => {
  test("header and bounds", () => {
    assert.deepEqual(encodePlainRecord(20, Uint8Array.of(1)), Uint8Array.of(20, 3, 3, 0, 1, 1));
    assert.deepEqual(encodePlainRecord(22, Uint8Array.of(9), 0x0301).subarray(0, 5), header(22, 0x0301, 1));
    assert.throws(
      () => encodePlainRecord(22, new Uint8Array(MAX_PLAINTEXT_BYTES + 1)),
      isAlert("internal_error"),
    );
    assert.throws(() => encodePlainRecord(22, new Uint8Array(0)), isAlert("internal_error"));
    assert.throws(() => encodePlainRecord(99, Uint8Array.of(1)), isAlert("internal_error"));
  });
});

describe("RecordProtector (RFC 8446 §5.2-§5.4)", () => {
  for (const suite of CIPHER_SUITES) {
    test(`${suite.name}: round trip, padding, and agreement between providers`, () => {
      const node = createCrypto({ providers: ["node"] });
      const noble = createCrypto({ providers: ["noble"] });
      const secret = crypto.randomBytes(node.hash(suite.hash).outputLength);
      const sealers = [new RecordProtector(node, suite, secret), new RecordProtector(noble, suite, secret)];
      const openers = [new RecordProtector(noble, suite, secret), new RecordProtector(node, suite, secret)];
      const sizes = [0, 1, 100, MAX_PLAINTEXT_BYTES];
      for (const size of sizes) {
        const data = crypto.randomBytes(size);
        const records = sealers.map((s) => s.seal(ContentType.application_data, data));
        assert.deepEqual(records[0], records[1], "providers seal identically");
        for (const [i, bytes] of records.entries()) {
          assert.equal(bytes.length, 5 + size + 1 + 16);
          const d = new RecordDeframer();
          d.push(bytes);
          const opened = openers[i]!.open(d.next()!);
          assert.equal(opened.type, ContentType.application_data);
          assert.deepEqual(opened.content, data);
        }
      }
      // Padding: zeros after the type, stripped on open.
      const padded = sealers[0]!.seal(ContentType.handshake, Uint8Array.of(1, 2, 3), 200);
      assert.equal(padded.length, 5 + 3 + 1 + 200 + 16);
      const d = new RecordDeframer();
      d.push(padded);
      const opened = new RecordProtector(node, suite, secret, { initialSequence: 4n }).open(d.next()!);
      assert.deepEqual(opened, { type: ContentType.handshake, content: Uint8Array.of(1, 2, 3) });
    });
  }

  for (const suite of CIPHER_SUITES) {
    test(`${suite.name}: sealDetached gives the bytes of sealInPlace and of the pure-JS provider, in three parts`, () => {
      const node = createCrypto({ providers: ["node"] });
      const noble = createCrypto({ providers: ["noble"] });
      const secret = crypto.randomBytes(node.hash(suite.hash).outputLength);
      const detached = new RecordProtector(node, suite, secret);
      const inPlace = new RecordProtector(node, suite, secret);
      const pureJs = new RecordProtector(noble, suite, secret);
      assert.equal(detached.sealsDetached, true);
      assert.equal(pureJs.sealsDetached, false, "noble seals in the caller's buffer: no detached form");
      // One scratch reused across records, as Connection.sendv does; stale bytes past the content must not leak.
      const scratch = new Uint8Array(MAX_PLAINTEXT_BYTES + 1 + 300).fill(0xee);
      for (const [size, padding] of [
        [0, 0],
        [1, 0],
        [100, 7],
        [5000, 300],
        [MAX_PLAINTEXT_BYTES, 0],
      ] as const) {
        const data = crypto.randomBytes(size);
        scratch.set(data);
        const parts = detached.sealDetached(ContentType.application_data, scratch, size, padding);
        assert.equal(parts.length, 3);
        assert.equal(parts[0].length, 5);
        assert.equal(parts[2].length, 16);
        const joined = Uint8Array.from([...parts[0], ...parts[1], ...parts[2]]);
        const record = new Uint8Array(RecordProtector.recordLength(size, padding));
        record.set(data, 5);
        assert.deepEqual(joined, inPlace.sealInPlace(ContentType.application_data, record, size, padding));
        assert.deepEqual(joined, pureJs.seal(ContentType.application_data, data, padding));
        const d = new RecordDeframer();
        d.push(joined);
        assert.deepEqual(
          new RecordProtector(noble, suite, secret, { initialSequence: detached.sequence - 1n }).open(
            d.next()!,
          ),
          {
            type: ContentType.application_data,
            content: data,
          },
        );
        scratch.fill(0xee);
      }
      assert.throws(
        () => detached.sealDetached(ContentType.application_data, new Uint8Array(10), 10),
        isAlert("internal_error"),
        "a scratch without room for the inner type is refused",
      );
    });
  }

  test("tampering anywhere gives bad_record_mac", () => {
    const secret = crypto.randomBytes(32);
    const bytes = new RecordProtector(crypto, aes128, secret).seal(
      ContentType.application_data,
      crypto.randomBytes(64),
    );
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 0x01;
      const record = { type: bad[0]!, legacyVersion: (bad[1]! << 8) | bad[2]!, fragment: bad.subarray(5) };
      // The outer type is checked before decryption (below); the length bytes are the
      // deframer's: the AAD takes the length of the fragment actually received.
      if (i === 0 || i === 3 || i === 4) continue;
      assert.throws(
        () => new RecordProtector(crypto, aes128, secret).open(record),
        isAlert("bad_record_mac"),
        `byte ${i}`,
      );
    }
    const good = { type: 23, legacyVersion: 0x0303, fragment: bytes.subarray(5) };
    assert.throws(
      () => new RecordProtector(crypto, aes128, secret).open({ ...good, type: 22 }),
      isAlert("unexpected_message"),
    );
    // The same record at the wrong sequence number.
    const reader = new RecordProtector(crypto, aes128, secret, { initialSequence: 1n });
    assert.throws(() => reader.open(good), isAlert("bad_record_mac"));
    // Under another key.
    assert.throws(
      () => new RecordProtector(crypto, aes128, crypto.randomBytes(32)).open(good),
      isAlert("bad_record_mac"),
    );
    // Too short to hold a tag and a type.
    assert.throws(
      () =>
        new RecordProtector(crypto, aes128, secret).open({
          ...good,
          fragment: good.fragment.subarray(0, 16),
        }),
      isAlert("bad_record_mac"),
    );
  });

  test("inner plaintext checks: all zeros, bad type, empty handshake, oversize", () => {
    const secret = crypto.randomBytes(32);
    const open = (inner: Uint8Array) =>
      new RecordProtector(crypto, aes128, secret).open(sealRawInner(crypto, aes128, secret, inner));
    assert.throws(() => open(new Uint8Array(10)), isAlert("unexpected_message"));
    assert.throws(() => open(Uint8Array.of(1, 2, 20, 0, 0)), isAlert("unexpected_message")); // change_cipher_spec inside
    assert.throws(() => open(Uint8Array.of(1, 2, 99)), isAlert("unexpected_message"));
    assert.throws(() => open(Uint8Array.of(22, 0, 0)), isAlert("unexpected_message")); // empty handshake
    assert.throws(() => open(Uint8Array.of(21)), isAlert("unexpected_message")); // empty alert
    assert.deepEqual(open(Uint8Array.of(23, 0)), { type: 23, content: new Uint8Array(0) }); // empty data is fine
    const big = new Uint8Array(MAX_PLAINTEXT_BYTES + 2);
    big[0] = 23;
    assert.throws(() => open(big), isAlert("record_overflow"));
    const huge = { type: 23, legacyVersion: 0x0303, fragment: new Uint8Array(MAX_CIPHERTEXT_BYTES + 1) };
    assert.throws(() => new RecordProtector(crypto, aes128, secret).open(huge), isAlert("record_overflow"));
  });

  test("nonce = iv XOR 64-bit sequence number; the sequence never wraps", () => {
    const secret = crypto.randomBytes(32);
    const aead = crypto.aead("aes-128-gcm");
    const { key, iv } = trafficKeys(crypto.hash("sha256"), aead, secret);
    for (const seq of [5n, 0x0102030405060708n, 0xffffffffn, 0x100000000n, 2n ** 64n - 1n]) {
      const p = new RecordProtector(crypto, aes128, secret, { initialSequence: seq });
      assert.equal(p.sequence, seq);
      const record = p.seal(ContentType.application_data, Uint8Array.of(7));
      const nonce = iv.slice();
      for (let i = 0; i < 8; i++) nonce[4 + i]! ^= Number((seq >> BigInt(8 * (7 - i))) & 0xffn);
      const inner = aead.importKey(key).open(nonce, record.subarray(5), record.subarray(0, 5));
      assert.deepEqual(inner, Uint8Array.of(7, 23), `seq ${seq}`);
      if (seq === 2n ** 64n - 1n) {
        assert.throws(
          () => p.seal(ContentType.application_data, Uint8Array.of(7)),
          isAlert("internal_error"),
        );
      } else {
        assert.equal(p.sequence, seq + 1n);
      }
    }
    assert.throws(
      () => new RecordProtector(crypto, aes128, secret, { initialSequence: 2n ** 64n }),
      isAlert("internal_error"),
    );
  });

  test("keyUpdateDue after KEY_UPDATE_AFTER_RECORDS records", () => {
    const secret = crypto.randomBytes(32);
    const start = BigInt(KEY_UPDATE_AFTER_RECORDS) - 1n;
    const p = new RecordProtector(crypto, aes128, secret, { initialSequence: start });
    assert.equal(p.keyUpdateDue, false);
    p.seal(ContentType.application_data, Uint8Array.of(1));
    assert.equal(p.keyUpdateDue, true);
  });

  test("seal refuses what it must not send; wipe() ends the protector", () => {
    const p = new RecordProtector(crypto, aes128, crypto.randomBytes(32));
    assert.throws(() => p.seal(23, new Uint8Array(MAX_PLAINTEXT_BYTES + 1)), isAlert("internal_error"));
    assert.throws(() => p.seal(23, new Uint8Array(MAX_PLAINTEXT_BYTES), 1), isAlert("internal_error"));
    assert.throws(() => p.seal(23, new Uint8Array(10), -1), isAlert("internal_error"));
    assert.throws(() => p.seal(22, new Uint8Array(0)), isAlert("internal_error"));
    assert.throws(() => p.seal(20, Uint8Array.of(1)), isAlert("internal_error"));
    assert.equal(p.sequence, 0n);
    p.wipe();
    assert.throws(() => p.seal(23, Uint8Array.of(1)), isAlert("internal_error"));
  });
});
