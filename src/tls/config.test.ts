/** Configuration resolution, including the per-(Crypto, policy) cache of the algorithm lists. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCrypto } from "../crypto/select.ts";
import type { TlsCommonConfig } from "./config.ts";
import { resolveCommon, TlsConfigError } from "./config.ts";

const names = (xs: readonly { name: string }[]) => xs.map((x) => x.name);

describe("tls config: resolveCommon", () => {
  it("resolves the defaults once per Crypto and policy, and answers the same lists", () => {
    const crypto = createCrypto();
    const a = resolveCommon({ crypto });
    const b = resolveCommon({ crypto });
    assert.equal(a.groups, b.groups, "the same resolved list, not a recomputation");
    assert.equal(a.signatureSchemes, b.signatureSchemes);
    assert.ok(Object.isFrozen(a.groups), "shared lists cannot be altered by one connection");
    // Another policy is another cache entry: compat adds classical groups and schemes.
    const compat = resolveCommon({ crypto, policy: "compat" });
    assert.ok(compat.groups.some((g) => g.class === "classical"));
    assert.ok(compat.signatureSchemes.some((s) => s.class === "classical"));
    assert.ok(!a.groups.some((g) => g.class === "classical"), "the hybrid entry is unchanged");
    assert.equal(resolveCommon({ crypto }).groups, a.groups);
  });

  it("follows a change of the configured lists, even in the same array object", () => {
    const crypto = createCrypto();
    const groups: NonNullable<TlsCommonConfig["groups"]> = ["X25519MLKEM768"];
    assert.deepEqual(names(resolveCommon({ crypto, groups }).groups), ["X25519MLKEM768"]);
    groups.push("SecP256r1MLKEM768");
    assert.deepEqual(names(resolveCommon({ crypto, groups }).groups), [
      "X25519MLKEM768",
      "SecP256r1MLKEM768",
    ]);
    const suites = resolveCommon({ crypto, cipherSuites: ["TLS_AES_128_GCM_SHA256"] }).suites;
    assert.deepEqual(names(suites), ["TLS_AES_128_GCM_SHA256"]);
    assert.ok(resolveCommon({ crypto }).suites.length > 1, "the defaults again after an explicit list");
  });

  it("rejects a bad list every time, not only the first", () => {
    const crypto = createCrypto();
    for (let i = 0; i < 2; i++) {
      assert.throws(() => resolveCommon({ crypto, groups: ["x25519"] }), TlsConfigError);
      assert.throws(
        () => resolveCommon({ crypto, policy: "pq-strict", signatureSchemes: ["ed25519"] }),
        TlsConfigError,
      );
    }
  });
});
