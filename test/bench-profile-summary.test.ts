/**
 * bench/rpc/profile-summary.ts on small hand-made .cpuprofiles: the busy
 * time by category leaves idle and module loading out, and a sample takes the
 * category of its innermost frame that has one (a native helper under the
 * AEAD counts as AEAD); pqrpc's compiled dist/ modules fall in the same
 * categories as its src/, and tsx's `__name` helper has a category of its own.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 0, columnNumber: 0, scriptId: "0" },
  children,
});

/** profile-summary's output for `profile`, and its busy-time section. */
async function summarize(profile: object): Promise<{ section: string; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), "pqrpc-profile-summary-"));
  try {
    const file = join(dir, "x.cpuprofile");
    await writeFile(file, JSON.stringify(profile));
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", "bench/rpc/profile-summary.ts", file, "10"],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    const section = out.split("busy time by category")[1]?.split("self time by function")[0] ?? "";
    return { section, out };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

it("reports busy time by category without idle and module loading", async () => {
  const profile = {
    nodes: [
      frame(1, "(root)", "", [2, 3, 5, 7, 9]),
      frame(2, "(idle)", ""),
      frame(3, "sealInto", "file:///x/src/crypto/providers/node-aead.ts", [4]),
      frame(4, "set", ""), // a native helper: takes its caller's category
      frame(5, "loadAndTranslate", "node:internal/modules/esm/loader", [6]),
      frame(6, "parse", "file:///x/node_modules/@bufbuild/protobuf/dist/esm/x.js"),
      frame(7, "onMessage", "file:///x/src/protocol/frames/connection.ts", [8]),
      frame(8, "concatChunks", "file:///x/src/bytes/bytes.ts"),
      frame(9, "(garbage collector)", ""),
    ],
    // 1 ms each: idle 5, AEAD 3 (through the native helper), startup 4, bytes 1, gc 1.
    samples: [2, 2, 2, 2, 2, 4, 4, 3, 6, 6, 6, 5, 8, 9],
    timeDeltas: Array.from({ length: 14 }, () => 1000),
  };
  const { section, out } = await summarize(profile);
  assert.match(section, /\(5 ms; idle and 4 ms of module loading left out\)/, out);
  assert.match(section, /60\.0%\s+3 ms\s+aead/, out);
  assert.match(section, /20\.0%\s+1 ms\s+bytes \(copies, gathers\)/, out);
  assert.match(section, /20\.0%\s+1 ms\s+gc/, out);
  assert.doesNotMatch(
    section,
    /%\s+\d+ ms\s+(protobuf|idle|startup)/,
    "module loading and idle are not busy time",
  );
});

it("puts dist/ modules in pqrpc's categories and tsx's __name helper in its own", async () => {
  const profile = {
    nodes: [
      frame(1, "(root)", "", [2, 4, 5]),
      frame(2, "__name", "file:///x/src/rpc/client.ts", [3]),
      frame(3, "defineProperty", ""), // the helper's native call: takes __name's category
      frame(4, "sealRecord", "file:///x/dist/tls/record-layer.js"),
      frame(5, "encodeFrame", "file:///x/dist/protocol/frames/codec.js"),
    ],
    // 1 ms each: __name 2 (through defineProperty), tls 1, framing 1.
    samples: [2, 3, 4, 5],
    timeDeltas: Array.from({ length: 4 }, () => 1000),
  };
  const { section, out } = await summarize(profile);
  assert.match(section, /50\.0%\s+2 ms\s+tsx helpers \(__name\)/, out);
  assert.match(section, /25\.0%\s+1 ms\s+tls record layer \+ socket \(JS\)/, out);
  assert.match(section, /25\.0%\s+1 ms\s+pqrpc\/1 framing/, out);
  assert.doesNotMatch(section, /other/, out);
  assert.match(out, /dist\/tls\/record-layer\.js/, "dist/ paths are shortened like src/ ones");
});
