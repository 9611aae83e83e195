/**
 * Protected records split across reads: RecordDeframer.next(true) gives the
 * parts as views and RecordProtector.openSpanning opens them (with the key's
 * openParts where the provider has it, else joined), for records cut at
 * every byte offset into 2 and 3 reads; the reads land in one reused buffer
 * that the deframer must detach() from before it is rewritten; tampering is
 * bad_record_mac at every cut.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { concatChunks } from "../bytes/bytes.ts";
import { CIPHER_SUITES, type CipherSuiteInfo } from "../crypto/registry.ts";
import { createCrypto } from "../crypto/select.ts";
import type { AeadKey, Crypto, ProviderName } from "../crypto/types.ts";
import { TlsError } from "./alert.ts";
import { ContentType, MAX_PLAINTEXT_BYTES, RecordDeframer, RecordProtector } from "./record-layer.ts";

/** How the protector under test opened its records. */
interface Counts {
  open: number;
  openParts: number;
}

/** `base`, with every AEAD key counting its open / openParts calls into `counts`. */
function countingCrypto(base: Crypto, counts: Counts): Crypto {
  const aead: Crypto["aead"] = (name) => {
    const inner = base.aead(name);
    return {
      ...inner,
      importKey(key) {
        const k = inner.importKey(key);
        const wrapped: AeadKey = {
          seal: (n, p, a) => k.seal(n, p, a),
          sealInto: (n, p, a, o, off) => k.sealInto(n, p, a, o, off),
          open: (n, c, a) => {
            counts.open++;
            return k.open(n, c, a);
          },
        };
        if (k.openParts) {
          const openParts = k.openParts.bind(k);
          wrapped.openParts = (n, a, parts, tag) => {
            counts.openParts++;
            return openParts(n, a, parts, tag);
          };
        }
        return wrapped;
      },
    };
  };
  return new Proxy(base, { get: (target, p) => (p === "aead" ? aead : Reflect.get(target, p)) });
}

interface Sent {
  readonly stream: Uint8Array;
  readonly contents: Uint8Array[];
}

/** Records of these content lengths (and padding), sealed back to back from sequence 0. */
function sealStream(crypto: Crypto, suite: CipherSuiteInfo, secret: Uint8Array, lengths: number[]): Sent {
  const sealer = new RecordProtector(crypto, suite, secret);
  const contents = lengths.map((n) => crypto.randomBytes(n));
  const records = contents.map((c, i) => sealer.seal(ContentType.application_data, c, i % 2 === 0 ? 0 : 3));
  return { stream: concatChunks(records), contents };
}

/**
 * Feeds `stream` cut at `cuts` as reads into one reused buffer (rewritten
 * with garbage after each read, as a socket's next read would), opening
 * every record as soon as it is complete; returns the contents.
 */
function receive(
  crypto: Crypto,
  suite: CipherSuiteInfo,
  secret: Uint8Array,
  stream: Uint8Array,
  cuts: number[],
) {
  const opener = new RecordProtector(crypto, suite, secret);
  const deframer = new RecordDeframer();
  const reused = new Uint8Array(stream.length);
  const out: Uint8Array[] = [];
  let spanning = 0;
  const bounds = [0, ...cuts, stream.length];
  for (let i = 1; i < bounds.length; i++) {
    const read = stream.subarray(bounds[i - 1]!, bounds[i]!);
    reused.set(read);
    deframer.push(reused.subarray(0, read.length));
    for (let r = deframer.next(true); r !== undefined; r = deframer.next(true)) {
      let opened: { type: number; content: Uint8Array };
      if ("parts" in r) {
        spanning++;
        opened = opener.openSpanning(r);
      } else {
        opened = opener.open(r);
      }
      assert.equal(opened.type, ContentType.application_data);
      out.push(opened.content.slice());
    }
    deframer.detach();
    reused.fill(0xa5);
  }
  assert.equal(deframer.buffered, 0);
  return { contents: out, spanning };
}

function isBadRecordMac(e: unknown): boolean {
  return e instanceof TlsError && e.alertName === "bad_record_mac";
}

const PROVIDERS: ProviderName[] = ["node", "noble"];

for (const provider of PROVIDERS) {
  describe(`spanning records, ${provider} provider`, () => {
    const base = createCrypto({ providers: [provider] });

    for (const suite of CIPHER_SUITES) {
      const secret = base.randomBytes(base.hash(suite.hash).outputLength);

      test(`${suite.name}: two records cut at every byte offset into 2 reads`, () => {
        const counts: Counts = { open: 0, openParts: 0 };
        const crypto = countingCrypto(base, counts);
        const sent = sealStream(crypto, suite, secret, [40, 1]);
        let spanning = 0;
        for (let cut = 1; cut < sent.stream.length; cut++) {
          const got = receive(crypto, suite, secret, sent.stream, [cut]);
          assert.deepEqual(got.contents, sent.contents, `cut at ${cut}`);
          spanning += got.spanning;
        }
        // Every cut inside a record but past its header gives a spanning record.
        assert.ok(spanning > sent.stream.length / 2, `${spanning} spanning records`);
        if (provider === "node") assert.ok(counts.openParts > 0, "node opens split records with openParts");
        else assert.equal(counts.openParts, 0);
      });

      test(`${suite.name}: a full-size record cut into 2 reads near the tag and across its body`, () => {
        const crypto = base;
        const sent = sealStream(crypto, suite, secret, [MAX_PLAINTEXT_BYTES]);
        const n = sent.stream.length;
        const cuts: number[] = [];
        for (let c = 1; c < n; c += 1021) cuts.push(c);
        for (let c = n - 40; c < n; c++) cuts.push(c);
        for (const cut of cuts) {
          const got = receive(crypto, suite, secret, sent.stream, [cut]);
          assert.deepEqual(got.contents, sent.contents, `cut at ${cut}`);
        }
      });
    }

    test("TLS_AES_128_GCM_SHA256: two records cut at every pair of offsets into 3 reads", () => {
      const suite = CIPHER_SUITES.find((s) => s.name === "TLS_AES_128_GCM_SHA256")!;
      const secret = base.randomBytes(32);
      const sent = sealStream(base, suite, secret, [12, 3]);
      const n = sent.stream.length;
      let spanning = 0;
      for (let a = 1; a < n - 1; a++) {
        for (let b = a + 1; b < n; b++) {
          const got = receive(base, suite, secret, sent.stream, [a, b]);
          assert.deepEqual(got.contents, sent.contents, `cuts at ${a}, ${b}`);
          spanning += got.spanning;
        }
      }
      assert.ok(spanning > 0);
    });

    for (const suite of CIPHER_SUITES) {
      test(`${suite.name}: a changed tag or ciphertext byte is bad_record_mac at every cut`, () => {
        const secret = base.randomBytes(base.hash(suite.hash).outputLength);
        const sent = sealStream(base, suite, secret, [30]);
        const n = sent.stream.length;
        // Positions: the first ciphertext byte, the inner content type, the first and last tag bytes.
        for (const at of [5, n - 17, n - 16, n - 1]) {
          const tampered = sent.stream.slice();
          tampered[at]! ^= 0x01;
          for (let cut = 1; cut < n; cut++) {
            for (const cuts of [[cut], ...(cut + 7 < n ? [[cut, cut + 7]] : [])]) {
              assert.throws(
                () => receive(base, suite, secret, tampered, cuts),
                isBadRecordMac,
                `byte ${at} changed, cuts ${cuts}`,
              );
            }
          }
        }
      });
    }
  });
}

test("openSpanning checks lengths like open(): a record shorter than tag + type is bad_record_mac", () => {
  const crypto = createCrypto({ providers: ["node"] });
  const suite = CIPHER_SUITES[0]!;
  const protector = new RecordProtector(
    crypto,
    suite,
    crypto.randomBytes(crypto.hash(suite.hash).outputLength),
  );
  const parts = [new Uint8Array(8), new Uint8Array(8)];
  assert.throws(
    () =>
      protector.openSpanning({
        type: ContentType.application_data,
        legacyVersion: 0x0303,
        length: 16,
        parts,
      }),
    isBadRecordMac,
  );
  assert.throws(
    () => protector.openSpanning({ type: ContentType.handshake, legacyVersion: 0x0303, length: 16, parts }),
    (e: unknown) => e instanceof TlsError && e.alertName === "unexpected_message",
  );
});

test("RecordDeframer.next() without `spanning` still joins a split record into one fragment", () => {
  const crypto = createCrypto({ providers: ["node"] });
  const suite = CIPHER_SUITES[0]!;
  const secret = crypto.randomBytes(crypto.hash(suite.hash).outputLength);
  const sent = sealStream(crypto, suite, secret, [50]);
  const deframer = new RecordDeframer();
  deframer.push(sent.stream.slice(0, 20));
  deframer.push(sent.stream.slice(20));
  const record = deframer.next();
  assert.ok(record && !("parts" in record));
  assert.deepEqual(record.fragment, sent.stream.subarray(5));
});
