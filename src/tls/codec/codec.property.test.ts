/**
 * decode(encode(x)) = x for every handshake message and extension body
 * (RFC 8446 §4, §4.2; RFC 6066 §3; RFC 7301 §3.1; RFC 8449 §4), over values
 * fast-check generates within each field's wire bounds.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  alpn,
  cookie,
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
} from "./extensions.ts";
import { MAX_PSK_IDENTITIES } from "./limits.ts";
import {
  certificate,
  certificateRequest,
  certificateVerify,
  clientHello,
  encryptedExtensions,
  HANDSHAKE_HEADER_BYTES,
  keyUpdate,
  newSessionTicket,
  serverHello,
} from "./messages.ts";

const RUNS = { numRuns: 200 };
/** Sizes of the generated lists (blocks are bounded by bytes, not counts: these only keep runs short). */
const EXTENSIONS_PER_BLOCK = 64;
const KEY_SHARES = 16;
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (minLength: number, maxLength: number) => fc.uint8Array({ minLength, maxLength });
const random = bytes(32, 32);
/** Records with Object's prototype, as the decoders build them (deepStrictEqual compares prototypes). */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(model, { noNullPrototype: true });
/** An extension block: distinct types (§4.2 forbids duplicates), bounded in count. */
const extensions = fc.uniqueArray(rec({ type: u16, data: bytes(0, 64) }), {
  maxLength: EXTENSIONS_PER_BLOCK,
  selector: (e) => e.type,
});
const body = (message: Uint8Array) => message.subarray(HANDSHAKE_HEADER_BYTES);

test("ClientHello and ServerHello round-trip", () => {
  fc.assert(
    fc.property(
      u16,
      random,
      bytes(0, 32),
      fc.array(u16, { minLength: 1, maxLength: 40 }),
      bytes(1, 4),
      extensions.filter((e) => e.length > 0),
      (legacyVersion, rnd, sessionId, cipherSuites, compressionMethods, exts) => {
        const m = {
          legacyVersion,
          random: rnd,
          sessionId,
          cipherSuites,
          compressionMethods,
          extensions: exts,
        };
        const d = clientHello.decode(body(clientHello.encode(m)));
        assert.deepStrictEqual({ ...d, extensions: d.extensions.list }, m);
      },
    ),
    RUNS,
  );
  fc.assert(
    fc.property(
      u16,
      random,
      bytes(0, 32),
      u16,
      u8,
      extensions,
      (legacyVersion, rnd, sessionId, suite, comp, exts) => {
        const m = {
          legacyVersion,
          random: rnd,
          sessionId,
          cipherSuite: suite,
          compressionMethod: comp,
          extensions: exts,
        };
        const d = serverHello.decode(body(serverHello.encode(m)));
        assert.deepStrictEqual({ ...d, extensions: d.extensions.list }, m);
      },
    ),
    RUNS,
  );
});

test("EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify round-trip", () => {
  fc.assert(
    fc.property(extensions, (exts) => {
      assert.deepStrictEqual(encryptedExtensions.decode(body(encryptedExtensions.encode(exts))).list, exts);
    }),
    RUNS,
  );
  fc.assert(
    fc.property(
      bytes(0, 255),
      extensions.filter((e) => e.length > 0),
      (context, exts) => {
        const d = certificateRequest.decode(body(certificateRequest.encode(context, exts)));
        assert.deepStrictEqual(
          { context: d.context, extensions: d.extensions.list },
          { context, extensions: exts },
        );
      },
    ),
    RUNS,
  );
  fc.assert(
    fc.property(bytes(0, 255), fc.array(bytes(1, 300), { maxLength: 10 }), (context, chain) => {
      const d = certificate.decode(body(certificate.encode(context, chain)));
      assert.deepStrictEqual(d.context, context);
      assert.deepStrictEqual(
        d.entries.map((e) => e.data),
        chain,
      );
      assert.ok(d.entries.every((e) => e.extensions.list.length === 0));
    }),
    RUNS,
  );
  fc.assert(
    fc.property(u16, bytes(1, 500), (scheme, signature) => {
      assert.deepStrictEqual(
        certificateVerify.decode(body(certificateVerify.encode({ scheme, signature }))),
        {
          scheme,
          signature,
        },
      );
    }),
    RUNS,
  );
});

test("NewSessionTicket and KeyUpdate round-trip", () => {
  fc.assert(
    fc.property(
      u32,
      u32,
      bytes(0, 255),
      bytes(1, 400),
      extensions,
      (lifetimeSeconds, ageAdd, nonce, ticket, exts) => {
        const m = { lifetimeSeconds, ageAdd, nonce, ticket, extensions: exts };
        const d = newSessionTicket.decode(body(newSessionTicket.encode(m)));
        assert.deepStrictEqual({ ...d, extensions: d.extensions.list }, m);
      },
    ),
    RUNS,
  );
  fc.assert(fc.property(u8, (r) => assert.equal(keyUpdate.decode(body(keyUpdate.encode(r))), r)));
});

test("extension bodies round-trip", () => {
  const roundTrip = <T>(
    arb: fc.Arbitrary<T>,
    codec: { encode(v: T): Uint8Array; decode(d: Uint8Array): T },
  ) =>
    fc.assert(
      fc.property(arb, (v) => assert.deepStrictEqual(codec.decode(codec.encode(v)), v)),
      RUNS,
    );
  roundTrip(fc.array(u16, { minLength: 1, maxLength: 127 }), supportedVersionsClient);
  roundTrip(u16, supportedVersionsServer);
  roundTrip(fc.array(u16, { minLength: 1, maxLength: 200 }), {
    encode: u16List.encode,
    decode: (d) => u16List.decode(d, "supported_groups"),
  });
  const share = rec({ group: u16, share: bytes(1, 300) });
  roundTrip(fc.array(share, { maxLength: KEY_SHARES }), keyShareClient);
  roundTrip(share, keyShareServer);
  roundTrip(u16, keyShareHelloRetry);
  roundTrip(fc.array(fc.stringMatching(/^[\x21-\x7e]{1,40}$/), { minLength: 1, maxLength: 32 }), alpn);
  roundTrip(fc.array(u8, { minLength: 1, maxLength: 255 }), pskModes);
  roundTrip(
    fc.integer({ min: 1, max: MAX_PSK_IDENTITIES }).chain((n) =>
      rec({
        identities: fc.array(rec({ identity: bytes(1, 200), obfuscatedTicketAge: u32 }), {
          minLength: n,
          maxLength: n,
        }),
        binders: fc.array(bytes(32, 64), { minLength: n, maxLength: n }),
      }),
    ),
    preSharedKeyClient,
  );
  roundTrip(u16, preSharedKeyServer);
  roundTrip(bytes(1, 500), cookie);
  roundTrip(u16, recordSizeLimit);
  // server_name: DNS host names, which the decoder lowercases (RFC 6066 §3; names compare case-insensitively).
  roundTrip(
    fc.domain().filter((d) => d.length <= 253),
    {
      encode: serverName.encode,
      decode: (d) => serverName.decode(d)!,
    },
  );
});
