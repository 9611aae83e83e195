import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { YOUNG_BUFFER_GC_FLAG, youngBufferGcDecision } from "./young-buffer-gc.ts";

describe("young Buffer GC workaround (nodejs/node#61967)", () => {
  it("applies on Node 24 and later only, and never over a flag the process names itself", () => {
    assert.equal(youngBufferGcDecision("20.20.2", [], ""), "not-needed");
    assert.equal(youngBufferGcDecision("22.1.0", [], ""), "not-needed");
    assert.equal(youngBufferGcDecision("v24.21.0", [], ""), "applied");
    assert.equal(youngBufferGcDecision("26.0.0", ["--expose-gc"], "--max-old-space-size=512"), "applied");
    assert.equal(youngBufferGcDecision("24.21.0", [YOUNG_BUFFER_GC_FLAG], ""), "already-set");
    assert.equal(
      youngBufferGcDecision("24.21.0", [], "--inspect --scavenger_max_new_space_capacity_mb=16"),
      "already-set",
    );
    assert.equal(
      youngBufferGcDecision("24.21.0", ["--scavenger-max-new-space-capacity-mb"], ""),
      "already-set",
    );
    assert.equal(youngBufferGcDecision("garbage", [], ""), "not-needed");
  });

  it("after it, short-lived 64 KiB buffers are reclaimed by scavenges, not by full mark-compacts", () => {
    // In a fresh process (a GC heuristic, not a timing): ~650 MB of 64 KiB arrays that die at once.
    const dir = mkdtempSync(join(tmpdir(), "pqrpc-gc-"));
    try {
      const probe = join(dir, "probe.ts");
      const module = fileURLToPath(new URL("./young-buffer-gc.ts", import.meta.url));
      writeFileSync(
        probe,
        `import { PerformanceObserver, constants } from "node:perf_hooks";
import { applyYoungBufferGcWorkaround } from ${JSON.stringify(module)};
const result = applyYoungBufferGcWorkaround();
let major = 0;
let minor = 0;
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e.detail as { kind?: number } | undefined)?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) major++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
  }
});
obs.observe({ entryTypes: ["gc"] });
let keep: Uint8Array | undefined;
for (let i = 0; i < 10_000; i++) keep = new Uint8Array(65_536);
setTimeout(() => console.log(JSON.stringify({ result, major, minor, kept: keep?.length })), 50);
`,
      );
      const out = execFileSync(process.execPath, ["--import", "tsx", probe], {
        encoding: "utf8",
        env: { ...process.env, NODE_OPTIONS: "" },
      });
      const { result, major, minor } = JSON.parse(out.trim()) as {
        result: string;
        major: number;
        minor: number;
      };
      const nodeMajor = Number(process.versions.node.split(".")[0]);
      assert.equal(result, nodeMajor >= 24 ? "applied" : "not-needed");
      // Without the workaround, Node 24.21 runs ~8 mark-compacts here and next to no scavenges.
      assert.ok(major <= 2, `mark-compacts: ${major} (scavenges: ${minor})`);
      assert.ok(minor > major, `scavenges ${minor} should outnumber mark-compacts ${major}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
