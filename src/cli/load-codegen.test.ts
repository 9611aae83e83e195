import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Codegen, loadCodegen } from "./load-codegen.ts";

describe("loading @pqrpc/codegen", () => {
  it("the package provides what the CLI declares it uses", async () => {
    // Type-checked against packages/codegen/src (tsconfig paths): drift fails `tsc`.
    const pkg: Codegen = await import("@pqrpc/codegen");
    const loaded = await loadCodegen("test");
    assert.equal(typeof loaded.generateCode, "function");
    assert.equal(typeof loaded.compileDescriptorSet, "function");
    assert.equal(typeof pkg.GenerateError, "function");
  });
});
