/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`, e.g. bench:rpc with
 * PQRPC_BENCH_PROFILE=dir): self time by function and by source file, and
 * total (inclusive) time of the heaviest frames, so that the hot spots of a
 * worker show without a profiler UI; and the busy time (idle and module
 * loading left out) by category: AEAD, copies, framing, scheduling, socket
 * writes, node:http2, GC, and tsx's `__name` helper (which only
 * tsx-transpiled source calls: 0 when pqrpc runs from dist/) (issue 11:
 * where the streaming and h2 CPU goes).
 *   npx tsx bench/rpc/profile-summary.ts <file.cpuprofile> [rows]
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const DEFAULT_ROWS = 25;
const US_PER_MS = 1000;

function shortUrl(url: string): string {
  const i = url.search(/\/(src|dist|bench|node_modules)\//);
  return (i >= 0 ? url.slice(i + 1) : url.replace(/^file:\/\//, "")) || "(native)";
}

function frameName(f: CallFrame): string {
  return `${f.functionName || "(anonymous)"} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}

function top(map: Map<string, number>, total: number, rows: number): string[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(
      ([k, v]) =>
        `${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / US_PER_MS).toFixed(0).padStart(6)} ms  ${k}`,
    );
}

/** Module loading and compiling (tsx, esbuild, the ESM loader): startup, not the measured work. */
const STARTUP =
  /node:internal\/modules\/|node:internal\/source_map|node:internal\/bootstrap|\/esbuild\/|\/tsx\/dist\//;

/**
 * The category of one frame, or undefined when the frame says nothing by
 * itself (a native helper called from somewhere else): a sample takes the
 * category of its innermost frame that has one.
 */
function category(f: CallFrame): string | undefined {
  const { url, functionName: fn } = f;
  if (fn === "(idle)") return "idle";
  if (fn === "(garbage collector)") return "gc";
  if (fn === "(program)") return "native (program)";
  if (STARTUP.test(url) || fn === "compileSourceTextModule") return "startup";
  // esbuild's keepNames helper in tsx-transpiled source (one call per function created): not in the shipped dist/.
  if (fn === "__name" && !url.includes("/node_modules/")) return "tsx helpers (__name)";
  if (/node:internal\/crypto\/cipher|providers\/node-aead|providers\/noble/.test(url)) return "aead";
  if (fn === "writev" || fn === "writeBuffer" || fn === "writeUtf8String") return "socket write";
  if (/node:internal\/http2|node:http2/.test(url)) return "node:http2";
  if (/stream_base_commons/.test(url)) return "socket glue";
  if (/node:internal\/streams|node:stream|node:events/.test(url)) return "node streams/events";
  if (/task_queues|node:internal\/timers/.test(url) || fn === "runMicrotasks") return "scheduling";
  // pqrpc's own modules: the compiled dist/ (what the benches load) or src/ (tsx, tests).
  if (/@bufbuild\/protobuf|(src|dist)\/gen\/|(src|dist)\/interop\/payload/.test(url))
    return "protobuf + payload";
  if (/(src|dist)\/bytes\/|node:buffer/.test(url)) return "bytes (copies, gathers)";
  if (/(src|dist)\/(tls|transport)\//.test(url)) return "tls record layer + socket (JS)";
  if (/(src|dist)\/protocol\/frames\//.test(url)) return "pqrpc/1 framing";
  if (/(src|dist)\/protocol\/grpc\//.test(url)) return "grpc/h2 glue";
  if (/(src|dist)\/(rpc|server|client|interop|observability)\//.test(url)) return "rpc layers";
  return undefined;
}

/** Busy time by category: idle and startup samples are left out of the total. */
function categories(
  selfUs: Map<number, number>,
  byId: Map<number, ProfileNode>,
  parent: Map<number, number>,
): { busy: number; startup: number; map: Map<string, number> } {
  const map = new Map<string, number>();
  let busy = 0;
  let startup = 0;
  for (const [id, us] of selfUs) {
    let found: string | undefined;
    let isStartup = false;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const c = category(byId.get(cur)!.callFrame);
      if (c === "startup") {
        isStartup = true;
        break;
      }
      found ??= c;
    }
    if (isStartup) {
      startup += us;
      continue;
    }
    const c = found ?? "other";
    if (c === "idle") continue;
    busy += us;
    map.set(c, (map.get(c) ?? 0) + us);
  }
  return { busy, startup, map };
}

function main(): void {
  const file = process.argv[2];
  if (file === undefined) throw new Error("usage: profile-summary.ts <file.cpuprofile> [rows]");
  const rows = Number(process.argv[3] ?? DEFAULT_ROWS);
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });

  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    total += us;
    if (node.callFrame.functionName === "(idle)") idle += us;
    const name = frameName(node.callFrame);
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const url = shortUrl(node.callFrame.url);
    byFile.set(url, (byFile.get(url) ?? 0) + us);
    // Inclusive: count each distinct frame once per sample path (recursion-safe).
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = frameName(byId.get(cur)!.callFrame);
      if (seen.has(n)) continue;
      seen.add(n);
      inclusive.set(n, (inclusive.get(n) ?? 0) + us);
    }
  }
  console.log(
    `${file}: ${(total / US_PER_MS).toFixed(0)} ms sampled, idle ${((100 * idle) / total).toFixed(1)}%`,
  );
  const cats = categories(selfUs, byId, parent);
  console.log(
    `\nbusy time by category (${(cats.busy / US_PER_MS).toFixed(0)} ms; idle and ${(cats.startup / US_PER_MS).toFixed(0)} ms of module loading left out):`,
  );
  for (const l of top(cats.map, cats.busy, rows)) console.log(l);
  console.log("\nself time by function:");
  for (const l of top(byFunction, total, rows)) console.log(l);
  console.log("\nself time by file:");
  for (const l of top(byFile, total, rows)) console.log(l);
  console.log("\ninclusive time:");
  for (const l of top(inclusive, total, rows)) console.log(l);
}

main();
