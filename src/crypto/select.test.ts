/** Provider selection: ranking, overrides, the env var, and late wasm registration. */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { loadWasmProvider } from "./providers/wasm.ts";
import { createCrypto, defaultCrypto, loadedProviderNames, PROVIDERS_ENV_VAR } from "./select.ts";
import { CryptoError } from "./types.ts";

const nodeHasMlKem = createCrypto({ providers: ["node"] }).hasKem("ml-kem-768");
const saved = process.env[PROVIDERS_ENV_VAR];
after(() => {
  if (saved === undefined) delete process.env[PROVIDERS_ENV_VAR];
  else process.env[PROVIDERS_ENV_VAR] = saved;
});

describe("selection", () => {
  test("node serves symmetric and classical primitives; noble serves PQ before wasm loads", () => {
    delete process.env[PROVIDERS_ENV_VAR];
    const d = createCrypto().describe();
    for (const n of ["sha256", "aes-256-gcm", "chacha20-poly1305", "x25519", "p256", "ed25519"]) {
      assert.equal(d[n], "node", n);
    }
    assert.equal(d["rsa-pss-sha256"], "node");
    // Before loadWasmProvider (this file loads it only in the last test).
    if (!loadedProviderNames().includes("wasm")) {
      assert.equal(d["ml-kem-768"], nodeHasMlKem ? "node" : "noble");
      assert.equal(d.sntrup761, undefined, "sntrup761 exists only in wasm");
    }
  });

  test("explicit providers are strict and ordered", () => {
    const noble = createCrypto({ providers: ["noble"] });
    assert.equal(noble.kem("x25519").provider, "noble");
    assert.equal(noble.signature("ml-dsa-65").provider, "noble");
    assert.equal(noble.hasSignature("rsa-pss-sha256"), false);
    assert.throws(
      () => noble.signature("rsa-pss-sha256"),
      (e: unknown) => e instanceof CryptoError && e.code === "unsupported",
    );
    const both = createCrypto({ providers: ["noble", "node"] });
    assert.equal(both.kem("x25519").provider, "noble");
    assert.equal(both.signature("rsa-pss-sha256").provider, "node");
  });

  test("prefer overrides one algorithm", () => {
    const c = createCrypto({ prefer: { x25519: "noble", "ml-dsa-65": "noble" } });
    assert.equal(c.kem("x25519").provider, "noble");
    assert.equal(c.kem("p256").provider, "node");
    assert.equal(c.signature("ml-dsa-65").provider, "noble");
  });

  test(`${PROVIDERS_ENV_VAR} puts its providers first and keeps the rest as fallback`, () => {
    process.env[PROVIDERS_ENV_VAR] = "noble";
    const c = createCrypto();
    assert.equal(c.kem("x25519").provider, "noble");
    assert.equal(c.hash("sha256").name, "sha256");
    assert.equal(c.describe()["rsa-pss-sha256"], "node", "noble has no RSA: node fills in");
    process.env[PROVIDERS_ENV_VAR] = "noble, bogus";
    assert.throws(
      () => createCrypto(),
      (e: unknown) => e instanceof CryptoError && e.code === "invalid-input",
    );
    delete process.env[PROVIDERS_ENV_VAR];
  });

  test("unknown provider names are refused", () => {
    assert.throws(() => createCrypto({ providers: ["openssl" as "node"] }), CryptoError);
  });

  test("defaultCrypto is cached and picks up the wasm provider once loaded", async () => {
    delete process.env[PROVIDERS_ENV_VAR];
    const d = defaultCrypto();
    assert.equal(defaultCrypto(), d);
    await loadWasmProvider();
    assert.ok(loadedProviderNames().includes("wasm"));
    assert.equal(d.kem("sntrup761").provider, "wasm");
    assert.equal(d.kem("ml-kem-768").provider, nodeHasMlKem ? "node" : "wasm");
    assert.equal(d.signature("ml-dsa-65").provider, "wasm", "liboqs-wasm signs ML-DSA faster than OpenSSL");
    assert.equal(d.signature("slh-dsa-sha2-128f").provider, nodeHasMlKem ? "node" : "wasm");
    assert.equal(d.signature("falcon-512").provider, "wasm");
    assert.equal(d.hash("sha384").outputLength, 48);
  });
});
