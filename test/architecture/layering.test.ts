/**
 * The layering rules of docs/ARCHITECTURE.md that an import statement can
 * break, checked over the source tree (tests excluded): a rule that is only
 * written down is broken by the next change.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

interface SourceFile {
  /** Path below src/, e.g. "rpc/client.ts". */
  readonly path: string;
  /** Import and export-from specifiers, relative ones resolved to paths below src/. */
  readonly imports: readonly string[];
  readonly text: string;
}

function sources(dir = SRC): SourceFile[] {
  const out: SourceFile[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "gen") out.push(...sources(full));
      continue;
    }
    if (
      !entry.name.endsWith(".ts") ||
      entry.name.endsWith(".test.ts") ||
      /test-helpers?\.ts$/.test(entry.name)
    )
      continue;
    const text = readFileSync(full, "utf8");
    const imports = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)].map(([, spec]) =>
      spec!.startsWith(".") ? relative(SRC, resolve(dirname(full), spec!)) : spec!,
    );
    out.push({ path: relative(SRC, full), imports, text });
  }
  return out;
}

const files = sources();
const under = (folder: string) => files.filter((f) => f.path.startsWith(`${folder}/`));

test("src/bytes and src/errors depend on nothing but each other", () => {
  for (const f of [...under("bytes"), ...under("errors")]) {
    for (const i of f.imports) assert.match(i, /^(bytes|errors)\//, `${f.path} imports ${i}`);
  }
});

test("the sans-IO cores import no node:* module: tls, the rpc core, the byte helpers", () => {
  for (const f of [...under("tls"), ...under("rpc"), ...under("bytes"), ...under("errors")]) {
    for (const i of f.imports) assert.ok(!i.startsWith("node:"), `${f.path} imports ${i}`);
  }
});

test("the device API is sans-IO: no node:* module, no timer, in src/device", () => {
  for (const f of under("device")) {
    for (const i of f.imports) assert.ok(!i.startsWith("node:"), `${f.path} imports ${i}`);
    assert.doesNotMatch(
      f.text,
      /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\(/,
      `${f.path} uses a timer`,
    );
  }
});

test("compression is injected: only the platform folders implement it", () => {
  for (const f of files) {
    if (f.imports.includes("node:zlib")) assert.match(f.path, /^(node|cli)\//, `${f.path} imports node:zlib`);
  }
});

test("cli never imports demo (demo uses cli, not the reverse)", () => {
  for (const f of under("cli")) {
    for (const i of f.imports) assert.ok(!i.startsWith("demo/"), `${f.path} imports ${i}`);
  }
});

test("the server and the channel reach the wire protocols through their protocol-session.ts only", () => {
  for (const path of ["server/server.ts", "client/channel.ts"]) {
    const f = files.find((x) => x.path === path)!;
    for (const i of f.imports) assert.doesNotMatch(i, /^protocol\/(grpc|frames)\//, `${path} imports ${i}`);
  }
});

test("the pqrpc/1 server side does not import the client side", () => {
  const handler = files.find((f) => f.path === "protocol/frames/handler.ts")!;
  assert.ok(!handler.imports.includes("protocol/frames/transport.ts"));
});

test("the TLS adapter does not decide by application protocol", () => {
  const socket = files.find((f) => f.path === "transport/tls-socket.ts")!;
  assert.doesNotMatch(socket.text, /"h2"|"pqrpc\/1"/);
});

test("limits are defined where they are used, not re-exported", () => {
  for (const f of files.filter((f) => f.path.endsWith("limits.ts"))) {
    assert.doesNotMatch(f.text, /^export\s[^;]*\sfrom\s/m, f.path);
  }
});

test("a constant name has one definition", () => {
  const seen = new Map<string, string>();
  for (const f of files) {
    for (const [, name] of f.text.matchAll(/^export const ([A-Z][A-Z0-9_]+)\s*[:=]/gm)) {
      const other = seen.get(name!);
      assert.equal(other, undefined, `${name} is defined in ${other} and ${f.path}`);
      seen.set(name!, f.path);
    }
  }
});

/**
 * The sans-IO pqrpc/1 core: the connection and everything it imports run on
 * a device or in a browser, so none of it may reach for Node, Buffer, timers
 * or the event loop. The Node adapter (session.ts, write-batch.ts) and the
 * RPC adapters (transport.ts, handler.ts) are the only I/O in the folder.
 */
test("the pqrpc/1 frame connection is sans-IO: no node:*, Buffer, timers or scheduling", () => {
  const core = new Set<string>();
  const visit = (path: string) => {
    if (core.has(path) || !path.startsWith("protocol/frames/")) return;
    const f = files.find((x) => x.path === path);
    assert.ok(f, `${path} is imported by the core but was not found`);
    core.add(path);
    for (const i of f.imports) if (i.endsWith(".ts")) visit(i);
  };
  visit("protocol/frames/connection.ts");
  visit("protocol/frames/frame-stream.ts");
  for (const must of [
    "stream-state.ts",
    "flow-control.ts",
    "reset-meter.ts",
    "scheduler.ts",
    "settings.ts",
    "frame-decoder.ts",
  ]) {
    assert.ok(core.has(`protocol/frames/${must}`), `the core no longer includes ${must}`);
  }
  for (const path of core) {
    const f = files.find((x) => x.path === path)!;
    for (const i of f.imports) assert.ok(!i.startsWith("node:"), `${path} imports ${i}`);
    const code = f.text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    assert.doesNotMatch(
      code,
      /\b(Buffer|setTimeout|setInterval|setImmediate|queueMicrotask|clearTimeout|clearInterval|process)\b/,
      `${path} uses a Node or event-loop API`,
    );
  }
  assert.ok(!core.has("protocol/frames/session.ts"));
});
