import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Metadata, MetadataError } from "./metadata.ts";

const code = (c: string) => (e: unknown) => e instanceof MetadataError && e.code === c;

describe("Metadata", () => {
  it("lower-cases names, keeps insertion order and repeated values", () => {
    const md = new Metadata();
    md.append("X-Id", "1").append("x-id", "2").set("other", "o");
    assert.deepEqual(md.getAll("x-ID"), ["1", "2"]);
    assert.deepEqual(
      [...md],
      [
        ["x-id", "1"],
        ["x-id", "2"],
        ["other", "o"],
      ],
    );
    assert.equal(md.size, 3);
    md.set("x-id", "3");
    assert.deepEqual(md.getAll("x-id"), ["3"]);
    assert.equal(md.delete("X-ID"), true);
    assert.equal(md.has("x-id"), false);
  });

  it("binary values need -bin names and Uint8Array; -bin names need binary values", () => {
    const md = new Metadata({ "trace-bin": new Uint8Array([1, 2]), plain: ["a", "b"] });
    assert.deepEqual(md.getBinary("trace-bin"), new Uint8Array([1, 2]));
    assert.equal(md.getString("trace-bin"), undefined);
    assert.throws(() => md.set("trace-bin", "text"), code("ERR_METADATA_VALUE"));
    assert.throws(() => md.set("plain", new Uint8Array(1)), code("ERR_METADATA_VALUE"));
  });

  it("validates names and ASCII values per PROTOCOL-HTTP2", () => {
    for (const bad of ["", "has space", "colon:", ":path", "ünï", "a/b"]) {
      assert.throws(() => new Metadata().set(bad, "v"), code("ERR_METADATA_NAME"), bad);
    }
    for (const bad of ["line\nbreak", "tab\t", "é", "\x7f"]) {
      assert.throws(() => new Metadata().set("x", bad), code("ERR_METADATA_VALUE"), JSON.stringify(bad));
    }
    assert.throws(() => new Metadata().set("grpc-status", "0"), code("ERR_METADATA_RESERVED"));
    assert.equal(
      new Metadata(undefined, { allowReserved: true }).set("grpc-status", "0").get("grpc-status"),
      "0",
    );
  });

  it("counts size as RFC 7541 §4.1 does, binary at base64 length", () => {
    const md = new Metadata({ abc: "12345", "x-bin": new Uint8Array(4) });
    // 3 + 5 + 32, then 5 + ceil(4/3)*4 = 8 + 32
    assert.equal(md.byteSize(), 40 + 45);
  });

  it("copies and merges", () => {
    const a = new Metadata({ a: "1" });
    const b = new Metadata(a).merge(new Metadata({ a: "2", c: "3" }));
    assert.deepEqual(b.getAll("a"), ["1", "2"]);
    assert.equal(a.getAll("a").length, 1);
  });

  it("merges a Metadata from another copy of this module (no shared private field)", async () => {
    const other = (await import(`./metadata.ts?copy=${Date.now()}`)) as typeof import("./metadata.ts");
    assert.notEqual(other.Metadata, Metadata, "a second module instance");
    const merged = new Metadata({ a: "1" }).merge(
      new other.Metadata({ a: "2", b: "3" }) as unknown as Metadata,
    );
    assert.deepEqual(merged.getAll("a"), ["1", "2"]);
    assert.deepEqual(merged.getAll("b"), ["3"]);
    assert.equal(new Metadata().merge(new other.Metadata() as unknown as Metadata).size, 0);
  });
});
