import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { toHex } from "../bytes/bytes.ts";
import { defaultCrypto } from "../crypto/select.ts";
import { MAX_TICKET_KEYS, TicketSealer, ticketKeyId } from "../tls/ticket-sealer.ts";
import { readTicketKeyFile, watchTicketKeyFile, writeTicketKeyFile } from "./ticket-key-file.ts";
import {
  formatTicketKeys,
  newTicketKeys,
  parseTicketKeys,
  rotateTicketKeys,
  TicketKeyFileError,
} from "./ticket-key-set.ts";

const crypto = defaultCrypto();
const random = (n: number) => crypto.randomBytes(n);
const T0 = Date.parse("2026-12-01T00:00:00Z");
const HOUR = 3_600_000;

const isCode = (code: string) => (e: unknown) => e instanceof TicketKeyFileError && e.code === code;

describe("ticket key set", () => {
  it("round-trips through the file format, oldest first, without losing a byte", () => {
    const keys = rotateTicketKeys(newTicketKeys(random, T0), { nowMs: T0, randomBytes: random });
    const parsed = parseTicketKeys(formatTicketKeys([...keys].reverse()));
    assert.deepEqual(parsed, keys);
    assert.ok(parsed[0]!.activatesMs < parsed[1]!.activatesMs);
  });

  it("refuses malformed files with a reason that never shows a secret", () => {
    const good = JSON.parse(formatTicketKeys(newTicketKeys(random, T0)));
    const secret = good.keys[0].secret as string;
    const cases: [unknown, RegExp][] = [
      ["not json", /not JSON/],
      [{ ...good, format: "other/1" }, /format/],
      [{ ...good, keys: [] }, /1 to 8 keys/],
      [{ ...good, keys: Array(MAX_TICKET_KEYS + 1).fill(good.keys[0]) }, /1 to 8 keys/],
      [{ ...good, keys: [{ ...good.keys[0], secret: `${secret}00` }] }, /"secret" must be 64 hex digits/],
      [{ ...good, keys: [{ ...good.keys[0], id: "xyz" }] }, /"id" must be 16 hex digits/],
      [{ ...good, keys: [{ ...good.keys[0], activates: "soon" }] }, /ISO 8601/],
      [{ ...good, keys: [good.keys[0], good.keys[0]] }, /duplicate id/],
    ];
    for (const [doc, reason] of cases) {
      const text = typeof doc === "string" ? doc : JSON.stringify(doc);
      assert.throws(
        () => parseTicketKeys(text),
        (e: unknown) =>
          isCode("malformed")(e) &&
          reason.test((e as Error).message) &&
          !(e as Error).message.includes(secret),
      );
    }
  });

  it("rotation adds a pending key and drops keys only once all their tickets have expired", () => {
    const lifetime = 2 * 3600;
    const first = newTicketKeys(random, T0);
    const second = rotateTicketKeys(first, {
      nowMs: T0 + HOUR,
      randomBytes: random,
      activateAfterSeconds: 60,
    });
    assert.equal(second.length, 2);
    assert.equal(second[1]!.activatesMs, T0 + HOUR + 60_000);
    // The first key stopped sealing at T0 + 1 h + 60 s; its last tickets live 2 h more.
    const justBefore = rotateTicketKeys(second, {
      nowMs: T0 + HOUR + 60_000 + lifetime * 1000 - 1,
      randomBytes: random,
      ticketLifetimeSeconds: lifetime,
    });
    assert.deepEqual(justBefore.slice(0, 2), second);
    const after = rotateTicketKeys(second, {
      nowMs: T0 + HOUR + 60_000 + lifetime * 1000,
      randomBytes: random,
      ticketLifetimeSeconds: lifetime,
    });
    assert.deepEqual(
      after.map((k) => toHex(k.id)),
      [toHex(second[1]!.id), toHex(after[1]!.id)],
    );
    let many = first;
    for (let i = 0; i < 20; i++) many = rotateTicketKeys(many, { nowMs: T0 + i, randomBytes: random });
    assert.equal(many.length, MAX_TICKET_KEYS);
  });

  it("a sealer with shared keys seals with the newest active key and opens with any", () => {
    const keys = rotateTicketKeys(newTicketKeys(random, T0), {
      nowMs: T0,
      randomBytes: random,
      activateAfterSeconds: 60,
    });
    const a = new TicketSealer(crypto);
    const b = new TicketSealer(crypto);
    a.setKeys(keys);
    b.setKeys(keys);
    const early = a.seal(Uint8Array.of(1), T0 + 1000);
    assert.deepEqual(ticketKeyId(early), keys[0]!.id, "the pending key does not seal yet");
    const late = a.seal(Uint8Array.of(2), T0 + 61_000);
    assert.deepEqual(ticketKeyId(late), keys[1]!.id, "the new key seals once active");
    assert.deepEqual(b.open(early, T0 + 62_000), Uint8Array.of(1), "another process opens both");
    assert.deepEqual(b.open(late, T0 + 62_000), Uint8Array.of(2));
    b.setKeys([keys[1]!]);
    assert.equal(b.open(early, T0 + 62_000), null, "a dropped key opens nothing");
    assert.throws(() => a.rotate(T0), /key file/);
    assert.throws(() => a.setKeys([]), /1 to 8/);
  });
});

describe("ticket key file", () => {
  let dir: string;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is written with mode 600, read back, and refused when others may read it", async () => {
    dir = await mkdtemp(join(tmpdir(), "pqrpc-ticket-keys-"));
    const file = join(dir, "keys.json");
    const keys = newTicketKeys(random, T0);
    await writeTicketKeyFile(file, keys);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await readTicketKeyFile(file), keys);
    await chmod(file, 0o644);
    await assert.rejects(readTicketKeyFile(file), isCode("insecure-permissions"));
    await assert.rejects(readTicketKeyFile(join(dir, "missing.json")), isCode("io"));
  });

  it("a watching sealer picks up a rotation; a broken file keeps the keys it had", async () => {
    const file = join(dir, "watched.json");
    const keys = newTicketKeys(random, T0);
    await writeTicketKeyFile(file, keys);
    const sealer = new TicketSealer(crypto);
    const loads: number[] = [];
    const errors: TicketKeyFileError[] = [];
    const watch = await watchTicketKeyFile(file, sealer, {
      pollMs: 20,
      onLoad: (n) => loads.push(n),
      onError: (e) => errors.push(e),
    });
    try {
      assert.deepEqual(loads, [1]);
      const rotated = rotateTicketKeys(keys, { nowMs: T0, randomBytes: random, activateAfterSeconds: 0 });
      await writeTicketKeyFile(file, rotated);
      while (loads.length < 2) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(ticketKeyId(sealer.seal(Uint8Array.of(1), T0 + 1)), rotated[1]!.id);
      const before = await readFile(file, "utf8");
      await writeFile(file, "{ broken", { mode: 0o600 });
      while (errors.length < 1) await new Promise((r) => setTimeout(r, 20));
      assert.equal(errors[0]!.code, "malformed");
      assert.deepEqual(ticketKeyId(sealer.seal(Uint8Array.of(1), T0 + 1)), rotated[1]!.id, "old keys kept");
      await writeFile(file, before, { mode: 0o600 });
      await watch.reload();
      assert.equal(loads.at(-1), 2);
    } finally {
      watch.close();
    }
  });
});
