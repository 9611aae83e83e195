/**
 * Helpers for tests that drive calls through a transport (not a test file
 * itself): request streams, draining response streams, and asserting the
 * status a call fails with. Shared by the rpc, protocol and interop tests.
 */
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import type { Code } from "./code.ts";
import { Metadata } from "./metadata.ts";
import { RpcError } from "./rpc-error.ts";
import type { RequestHead } from "./transport.ts";

/** An async request stream of `items`, optionally `delayMs` apart. */
export async function* from<T>(items: readonly T[], delayMs = 0): AsyncGenerator<T> {
  for (const i of items) {
    if (delayMs > 0) await sleep(delayMs);
    yield i;
  }
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const i of items) out.push(i);
  return out;
}

/** Awaits `p`, which must reject with an RpcError of `code` (and a raw message matching `message`). */
export async function rejectsWith(p: Promise<unknown>, code: Code, message?: RegExp): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RpcError, `expected RpcError, got ${String(e)}`);
    assert.equal(e.code, code, `expected code ${code}, got ${e.code}: ${e.message}`);
    if (message) assert.match(e.rawMessage, message);
    return e;
  }
  assert.fail("expected the call to fail");
}

/** A request head with no metadata, deadline or compression: proto over identity. */
export function plainRequestHead(path: string): RequestHead {
  return {
    path,
    metadata: new Metadata(),
    timeoutMs: undefined,
    format: "proto",
    encoding: "identity",
    acceptEncoding: [],
  };
}
