import assert from "node:assert/strict";
import { test } from "node:test";
import { CodedError } from "./coded-error.ts";

class ExampleError extends CodedError<"a" | "b"> {
  override readonly name = "ExampleError";
}

test("a CodedError subclass carries its code, name, message and cause", () => {
  const cause = new Error("inner");
  const e = new ExampleError("a", "what went wrong", { cause });
  assert.ok(e instanceof ExampleError && e instanceof CodedError && e instanceof Error);
  assert.equal(e.code, "a");
  assert.equal(e.name, "ExampleError");
  assert.equal(e.message, "what went wrong");
  assert.equal(e.cause, cause);
  assert.equal(String(e), "ExampleError: what went wrong");
  assert.match(e.stack ?? "", /^ExampleError: what went wrong\n/);
  assert.deepEqual(Object.keys(e).sort(), ["code", "name"]);
});
