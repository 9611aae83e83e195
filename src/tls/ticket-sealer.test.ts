import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defaultCrypto } from "../crypto/select.ts";
import { TlsError } from "./alert.ts";
import {
  MAX_SEALED_TICKET_BYTES,
  MAX_TICKET_KEYS,
  MAX_TICKET_STATE_BYTES,
  TICKET_OVERHEAD_BYTES,
  TicketSealer,
} from "./ticket-sealer.ts";

const crypto = defaultCrypto();
const T0 = 1_700_000_000_000;
const isInternalError = (e: unknown) => e instanceof TlsError && e.alertName === "internal_error";

describe("TicketSealer", () => {
  test("round trip with a constant overhead", () => {
    const sealer = new TicketSealer(crypto);
    for (const size of [0, 1, 100, MAX_TICKET_STATE_BYTES]) {
      const state = crypto.randomBytes(size);
      const ticket = sealer.seal(state, T0);
      assert.equal(ticket.length, size + TICKET_OVERHEAD_BYTES);
      assert.deepEqual(sealer.open(ticket, T0 + 1000), state);
    }
    const twice = [sealer.seal(Uint8Array.of(1), T0), sealer.seal(Uint8Array.of(1), T0)];
    assert.notDeepEqual(twice[0], twice[1]); // fresh nonce per ticket
  });

  test("a ticket is version ‖ key id ‖ nonce ‖ AES-256-GCM(expiry ‖ state) with that header as AAD", () => {
    // The layout a fleet's servers share (setKeys): one sealed in place must open
    // with a plain AEAD open, and its plaintext must not be left in the ticket.
    const id = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const secret = new Uint8Array(32).fill(7);
    const sealer = new TicketSealer(crypto);
    sealer.setKeys([{ id, secret, activatesMs: 0 }]);
    const state = new Uint8Array(300).map((_, i) => i & 0xff);
    const ticket = sealer.seal(state, T0);
    assert.equal(ticket.length, TICKET_OVERHEAD_BYTES + state.length);
    assert.equal(ticket.byteLength, ticket.buffer.byteLength);
    assert.equal(ticket[0], 1);
    assert.deepEqual(ticket.subarray(1, 9), id);
    const header = ticket.subarray(0, 21);
    const key = crypto.aead("aes-256-gcm").importKey(secret);
    const plaintext = key.open(ticket.subarray(9, 21), ticket.subarray(21), header);
    assert.ok(plaintext);
    const expiry = new DataView(plaintext.buffer, plaintext.byteOffset).getBigUint64(0);
    assert.equal(expiry, BigInt(T0 + sealer.lifetimeSeconds * 1000));
    assert.deepEqual(plaintext.subarray(8), state);
    assert.equal(Buffer.from(ticket).indexOf(Buffer.from(state.subarray(0, 32))), -1);
  });

  test("expiry is checked on open", () => {
    const sealer = new TicketSealer(crypto, { lifetimeSeconds: 60 });
    assert.equal(sealer.lifetimeSeconds, 60);
    const ticket = sealer.seal(Uint8Array.of(9), T0);
    assert.deepEqual(sealer.open(ticket, T0 + 59_999), Uint8Array.of(9));
    assert.equal(sealer.open(ticket, T0 + 60_000), null);
    // A ticket that claims to outlive the configured lifetime (the clock went back) is refused.
    assert.equal(sealer.open(ticket, T0 - 1), null);
  });

  test("any change, truncation or foreign key gives null, never an exception", () => {
    const sealer = new TicketSealer(crypto);
    const ticket = sealer.seal(crypto.randomBytes(48), T0);
    for (let i = 0; i < ticket.length; i++) {
      const bad = ticket.slice();
      bad[i]! ^= 0x20;
      assert.equal(sealer.open(bad, T0), null, `byte ${i}`);
    }
    for (const n of [0, 1, TICKET_OVERHEAD_BYTES - 1, ticket.length - 1]) {
      assert.equal(sealer.open(ticket.subarray(0, n), T0), null);
    }
    assert.equal(sealer.open(Uint8Array.from([...ticket, 0]), T0), null);
    assert.equal(sealer.open(new Uint8Array(MAX_SEALED_TICKET_BYTES + 1), T0), null);
    assert.equal(sealer.open(crypto.randomBytes(200), T0), null);
    assert.equal(sealer.open("not bytes" as unknown as Uint8Array, T0), null);
    assert.equal(new TicketSealer(crypto).open(ticket, T0), null);
  });

  test("keys rotate; retired keys open their tickets until those expire", () => {
    const sealer = new TicketSealer(crypto, { lifetimeSeconds: 100, rotateAfterSeconds: 10 });
    const old = sealer.seal(Uint8Array.of(1), T0);
    const fresh = sealer.seal(Uint8Array.of(2), T0 + 10_000); // rotates
    assert.notDeepEqual(old.subarray(1, 9), fresh.subarray(1, 9)); // another key id
    assert.deepEqual(sealer.open(old, T0 + 50_000), Uint8Array.of(1));
    assert.deepEqual(sealer.open(fresh, T0 + 50_000), Uint8Array.of(2));
    assert.equal(sealer.open(old, T0 + 100_000), null);
    sealer.rotate(T0 + 60_000);
    assert.deepEqual(sealer.open(fresh, T0 + 60_001), Uint8Array.of(2));
  });

  test("at most MAX_TICKET_KEYS keys are held", () => {
    const sealer = new TicketSealer(crypto, { lifetimeSeconds: 604800, rotateAfterSeconds: 1 });
    const first = sealer.seal(Uint8Array.of(1), T0);
    for (let i = 1; i < MAX_TICKET_KEYS; i++) sealer.seal(Uint8Array.of(1), T0 + i * 1000);
    assert.deepEqual(sealer.open(first, T0 + MAX_TICKET_KEYS * 1000), Uint8Array.of(1));
    sealer.seal(Uint8Array.of(1), T0 + MAX_TICKET_KEYS * 1000); // one key too many: the first goes
    assert.equal(sealer.open(first, T0 + MAX_TICKET_KEYS * 1000), null);
  });

  test("local misuse is an internal error", () => {
    assert.throws(() => new TicketSealer(crypto, { lifetimeSeconds: 0 }), isInternalError);
    assert.throws(() => new TicketSealer(crypto, { lifetimeSeconds: 604801 }), isInternalError);
    assert.throws(() => new TicketSealer(crypto, { rotateAfterSeconds: 0.5 }), isInternalError);
    const sealer = new TicketSealer(crypto);
    assert.throws(() => sealer.seal(new Uint8Array(MAX_TICKET_STATE_BYTES + 1), T0), isInternalError);
    assert.throws(() => sealer.seal(Uint8Array.of(1), Number.NaN), isInternalError);
  });
});
