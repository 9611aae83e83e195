import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { groupByName } from "../crypto/registry.ts";
import type { Crypto, Kem, KemKeyPair, KemName } from "../crypto/types.ts";
import { HandshakeType as H } from "./codec/types.ts";
import { connectPair, crypto } from "./engine-test-helpers.ts";
import {
  DEFAULT_KEY_SHARE_POOL_SIZE,
  KeySharePool,
  MAX_KEY_SHARE_POOL_KINDS,
  MAX_KEY_SHARE_POOL_SIZE,
  MAX_POOLED_KEY_SHARE_AGE_MS,
} from "./key-share-pool.ts";

const HYBRID = groupByName("X25519MLKEM768");
const X25519_BYTES = 32;
/** ClientHello/ServerHello key_share bytes as they went on the wire, by side. */
type Shares = { client: Uint8Array[]; server: Uint8Array[] };

/** Finds the single key_share entry's key_exchange bytes in a hello (the last bytes of one entry). */
function keyShareOf(hello: Uint8Array, length: number): Uint8Array {
  // Search for the entry header: group codepoint, then u16 length.
  const code = HYBRID.codepoint;
  for (let i = 0; i + 4 + length <= hello.length; i++) {
    if (
      hello[i] === code >> 8 &&
      hello[i + 1] === (code & 0xff) &&
      hello[i + 2] === length >> 8 &&
      hello[i + 3] === (length & 0xff)
    )
      return hello.slice(i + 4, i + 4 + length);
  }
  throw new Error("no key share found");
}

/** A Crypto whose x25519 Kem records the secret key objects of the pairs it made (to see them wiped). */
function recordingCrypto(): { crypto: Crypto; secrets: Uint8Array[] } {
  const secrets: Uint8Array[] = [];
  const wrap = (kem: Kem): Kem => ({
    ...kem,
    generateKeyPair(): KemKeyPair {
      const pair = kem.generateKeyPair();
      // A wipeable secret (fill) that still works as the provider's key: a byte copy stands in for it.
      const mark = new Uint8Array(8).fill(0xa5);
      secrets.push(mark);
      const secretKey = Object.assign(Object.create(null), {
        inner: pair.secretKey,
        fill: () => mark.fill(0),
      });
      return { publicKey: pair.publicKey, secretKey };
    },
    encapsulate: (pk) => kem.encapsulate(pk),
    decapsulate: (sk, ct) => kem.decapsulate((sk as { inner: unknown }).inner, ct),
  });
  const c: Crypto = {
    ...crypto,
    randomBytes: (n) => crypto.randomBytes(n),
    hash: (n) => crypto.hash(n),
    aead: (n) => crypto.aead(n),
    kem: (n: KemName) => (n === "x25519" ? wrap(crypto.kem(n)) : crypto.kem(n)),
    signature: (n) => crypto.signature(n),
    hasKem: (n) => crypto.hasKem(n),
    hasSignature: (n) => crypto.hasSignature(n),
    describe: () => crypto.describe(),
  };
  return { crypto: c, secrets };
}

describe("key share pool", () => {
  it("client: each precomputed share goes into exactly one ClientHello, then the pool refills", () => {
    const scheduled: (() => void)[] = [];
    const pool = new KeySharePool({ crypto, schedule: (w) => scheduled.push(w) });
    const shares: Shares = { client: [], server: [] };
    const length = 1184 + X25519_BYTES;
    const run = () =>
      connectPair({
        client: { keySharePool: pool },
        clientHooks: {
          outgoingHandshake: (raw) => {
            if (raw[0] === H.client_hello) shares.client.push(keyShareOf(raw, length));
            return raw;
          },
        },
      });
    const first = run();
    assert.equal(first.client.error, undefined, first.client.error?.message);
    assert.equal(pool.stats.missed, 1, "the first handshake found the pool empty and made its own");
    assert.equal(scheduled.length, 1, "a refill was scheduled, not run inline");
    scheduled.shift()!();
    assert.equal(pool.stats.pooled, DEFAULT_KEY_SHARE_POOL_SIZE);
    for (let i = 0; i < 6; i++) {
      const { client, server } = run();
      assert.equal(client.error, undefined, client.error?.message);
      assert.equal(server.error, undefined, server.error?.message);
      assert.equal(client.info?.group, "X25519MLKEM768");
      while (scheduled.length) scheduled.shift()!();
    }
    assert.equal(pool.stats.taken, 6);
    assert.equal(pool.stats.missed, 1);
    const distinct = new Set(shares.client.map((s) => Buffer.from(s).toString("hex")));
    assert.equal(distinct.size, shares.client.length, "no key share was sent twice");
    assert.ok(pool.stats.pooled <= DEFAULT_KEY_SHARE_POOL_SIZE);
    pool.close();
    assert.equal(pool.stats.pooled, 0);
  });

  it("server: pooled X25519 ephemerals give working, distinct ServerHello shares, each secret wiped after use", () => {
    const rec = recordingCrypto();
    const scheduled: (() => void)[] = [];
    const pool = new KeySharePool({ crypto: rec.crypto, size: 3, schedule: (w) => scheduled.push(w) });
    const serverShares: Uint8Array[] = [];
    const run = () =>
      connectPair({
        client: { crypto: rec.crypto },
        server: { crypto: rec.crypto, keySharePool: pool },
        serverHooks: {
          outgoingHandshake: (raw) => {
            if (raw[0] === H.server_hello) serverShares.push(keyShareOf(raw, 1088 + X25519_BYTES));
            return raw;
          },
        },
      });
    assert.equal(run().server.error, undefined);
    scheduled.shift()!();
    assert.equal(pool.stats.pooled, 3);
    const made = rec.secrets.length;
    for (let i = 0; i < 3; i++) {
      const { client, server } = run();
      assert.equal(client.error, undefined, client.error?.message);
      assert.equal(server.error, undefined, server.error?.message);
    }
    assert.equal(pool.stats.taken, 3);
    assert.equal(pool.stats.pooled, 0, "nothing refilled while no refill ran");
    // The pooled pairs (made by fill) were used and wiped; the client's own X25519 pairs were not pooled.
    const pooledSecrets = rec.secrets.slice(made - 3, made);
    for (const s of pooledSecrets)
      assert.ok(
        s.every((b) => b === 0),
        "a used ephemeral is wiped",
      );
    const x25519 = serverShares.map((s) => Buffer.from(s.subarray(1088)).toString("hex"));
    assert.equal(new Set(x25519).size, x25519.length, "no X25519 ephemeral was used twice");
    // Empty pool: the server encapsulates as without one.
    assert.equal(run().server.error, undefined);
    assert.equal(pool.stats.missed, 2);
  });

  it("is bounded: size per kind, MAX_KEY_SHARE_POOL_SIZE, MAX_KEY_SHARE_POOL_KINDS", () => {
    assert.throws(() => new KeySharePool({ crypto, size: MAX_KEY_SHARE_POOL_SIZE + 1 }), RangeError);
    assert.throws(() => new KeySharePool({ crypto, size: 0 }), RangeError);
    const pool = new KeySharePool({ crypto, size: MAX_KEY_SHARE_POOL_SIZE });
    const groups = [
      "X25519MLKEM768",
      "x25519",
      "secp256r1",
      "secp384r1",
      "MLKEM768",
      "SecP256r1MLKEM768",
    ] as const;
    for (const g of groups) pool.takeClientShare(groupByName(g));
    pool.fill();
    pool.fill();
    assert.equal(pool.stats.pooled, MAX_KEY_SHARE_POOL_KINDS * MAX_KEY_SHARE_POOL_SIZE);
    assert.equal(pool.stats.missed, groups.length);
    pool.close();
    assert.equal(pool.stats.discarded, MAX_KEY_SHARE_POOL_KINDS * MAX_KEY_SHARE_POOL_SIZE);
    // Closed: shares are still made (inline), nothing is pooled again.
    pool.takeClientShare(HYBRID);
    pool.fill();
    assert.equal(pool.stats.pooled, 0);
  });

  it(`drops entries older than MAX_POOLED_KEY_SHARE_AGE_MS (${MAX_POOLED_KEY_SHARE_AGE_MS} ms)`, () => {
    let now = 1_000_000;
    const pool = new KeySharePool({ crypto, now: () => now });
    pool.takeClientShare(HYBRID);
    pool.fill();
    const waiting = pool.stats.pooled;
    now += MAX_POOLED_KEY_SHARE_AGE_MS + 1;
    pool.takeClientShare(HYBRID);
    assert.equal(pool.stats.discarded, waiting);
    assert.equal(pool.stats.taken, 0);
    assert.equal(pool.stats.missed, 2);
  });

  it("a client key share replaced after HelloRetryRequest is wiped, like the one used", () => {
    const rec = recordingCrypto();
    const { client, server } = connectPair({
      client: { crypto: rec.crypto, policy: "compat", groups: ["x25519", "X25519MLKEM768"] },
      server: { crypto: rec.crypto, policy: "compat", groups: ["X25519MLKEM768"] },
    });
    assert.equal(client.error, undefined, client.error?.message);
    assert.equal(server.error, undefined, server.error?.message);
    assert.equal(client.info?.helloRetry, true);
    assert.equal(client.info?.group, "X25519MLKEM768");
    assert.equal(
      rec.secrets.length,
      2,
      "the first ClientHello's x25519 share, then the hybrid's x25519 half",
    );
    for (const s of rec.secrets)
      assert.ok(
        s.every((b) => b === 0),
        "every client X25519 secret is wiped",
      );
  });

  it("a pool made for another Crypto is not used", () => {
    const other = recordingCrypto().crypto;
    const pool = new KeySharePool({ crypto: other });
    const { client } = connectPair({ client: { keySharePool: pool } });
    assert.equal(client.error, undefined);
    assert.deepEqual(pool.stats, { generated: 0, taken: 0, missed: 0, discarded: 0, pooled: 0 });
  });
});
