/**
 * The spin models (models/*.pml, docs/MODELS.md) are tied to the code and
 * verified here: each model's transition table is parsed from the .pml and
 * compared with the table the implementation runs (STREAM_TRANSITIONS;
 * CLIENT_TRANSITIONS / SERVER_TRANSITIONS, which the TLS engines check on
 * every transition), then spin searches each model's whole state space
 * (exhaustive, not bitstate) and must find no error, leave no statement of a
 * peer unreached (the properties are not vacuous), and find the error that
 * each deliberately broken variant (-DMUTANT_...) puts in.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ErrorCode } from "../../src/protocol/frames/error-codes.ts";
import {
  STREAM_INPUTS,
  STREAM_STATES,
  STREAM_TRANSITIONS,
  type StreamTransition,
} from "../../src/protocol/frames/stream-state.ts";
import {
  CLIENT_STATES,
  CLIENT_TRANSITIONS,
  type HandshakeTransition,
  SERVER_STATES,
  SERVER_TRANSITIONS,
} from "../../src/tls/state-table.ts";
import { REPO_ROOT, runEnsureScript, runProcess } from "../interop/child-process.ts";

const INSTALL_TIMEOUT_MS = 300_000;
/** spin -a, gcc and the search of one model; the largest takes seconds unloaded. */
const VERIFY_TIMEOUT_MS = 240_000;
/** Deeper than any path of the bounded models (about 230 steps): a cut search would not be exhaustive. */
const MAX_DEPTH_STEPS = 100_000;

const PQRPC1 = join(REPO_ROOT, "models/pqrpc1.pml");
const TLS13 = join(REPO_ROOT, "models/tls13.pml");

/** The model text without its deliberately broken variants (`#ifdef MUTANT_... #else ... #endif` keeps the #else part). */
function withoutMutants(text: string): string {
  return text.replace(
    /^#ifdef MUTANT_\w+\n([\s\S]*?)(?:^#else\n([\s\S]*?))?^#endif\n/gm,
    (_m, _yes, no) => no ?? "",
  );
}

/** `#define PREFIX_NAME n` lines, in order: the model's names for the code's states or events. */
function defines(text: string, prefix: string): string[] {
  return [...text.matchAll(new RegExp(`^#define ${prefix}(\\w+)\\s+\\d+`, "gm"))].map(([, n]) => n!);
}

const kebab = (name: string) => name.toLowerCase().replaceAll("_", "-");

// --- pqrpc/1: T(state, event, state) and V(state, event, error) lines

type StreamTable = Record<string, Record<string, string>>;

function modelStreamTable(text: string): StreamTable {
  const table: StreamTable = {};
  for (const [, kind, s, e, t] of withoutMutants(text).matchAll(/^\s*([TV])\(S_(\w+), E_(\w+), (\w+)\);/gm)) {
    const row = (table[kebab(s!)] ??= {});
    assert.equal(row[kebab(e!)], undefined, `two entries for ${s} ${e}`);
    row[kebab(e!)] = kind === "T" ? kebab(t!.replace(/^S_/, "")) : `error ${t}`;
  }
  return table;
}

function codeStreamTable(): StreamTable {
  const name = (t: StreamTransition) =>
    typeof t === "string" ? t : `error ${Object.entries(ErrorCode).find(([, c]) => c === t.error)![0]}`;
  return Object.fromEntries(
    Object.entries(STREAM_TRANSITIONS).map(([s, row]) => [
      s,
      Object.fromEntries(Object.entries(row).map(([e, t]) => [e, name(t)])),
    ]),
  );
}

// --- TLS: ROW(from, message, guard, to) lines

type HandshakeTable = Record<string, string[]>;

/** "from message" -> sorted targets, for one engine's prefix (C_ or S_). */
function modelHandshakeTable(text: string, prefix: "C_" | "S_"): HandshakeTable {
  const table: HandshakeTable = {};
  for (const [, f, m, t] of withoutMutants(text).matchAll(/^\s*ROW\((\w+), M_(\w+), .*, (\w+)\)\s*$/gm)) {
    if (!f!.startsWith(prefix)) continue;
    // A HelloRetryRequest is a ServerHello on the wire (RFC 8446 §4.1.4): the code's table cannot tell them apart.
    const message = m === "HELLO_RETRY_REQUEST" ? "server_hello" : m!.toLowerCase();
    const key = `${kebab(f!.slice(2))} ${message}`;
    table[key] = [...new Set([...(table[key] ?? []), kebab(t!.slice(2))])].sort();
  }
  return table;
}

function codeHandshakeTable(rows: readonly HandshakeTransition<string>[]): HandshakeTable {
  const table: HandshakeTable = {};
  for (const r of rows) {
    const key = `${r.from} ${r.message}`;
    assert.equal(table[key], undefined, `two rows for ${key}`);
    table[key] = [...r.to].sort();
  }
  return table;
}

// --- spin

interface SpinResult {
  readonly errors: number;
  readonly statesStored: number;
  readonly transitions: number;
  readonly depth: number;
  readonly output: string;
}

let spin = "";
let work = "";

before(async () => {
  ({ path: spin } = await runEnsureScript("ensure-spin.sh", INSTALL_TIMEOUT_MS));
  work = mkdtempSync(join(tmpdir(), "pqrpc-spin-"));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const r = await runProcess(cmd, args, { timeoutMs: VERIFY_TIMEOUT_MS, cwd });
  const out = r.stdout + r.stderr;
  assert.ok(!r.timedOut, `${cmd} timed out after ${VERIFY_TIMEOUT_MS} ms`);
  assert.equal(r.code, 0, `${cmd} ${args.join(" ")} failed:\n${out.slice(-4000)}`);
  return out;
}

/**
 * spin -a, gcc, ./pan: an exhaustive search. "safety": assertions and invalid
 * end states; "cycles": assertions and non-progress cycles (the models have no
 * progress labels, so any cycle is one: none means every execution is finite).
 */
async function verify(
  model: string,
  name: string,
  defs: string[] = [],
  mode: "safety" | "cycles" = "safety",
): Promise<SpinResult> {
  const dir = mkdtempSync(join(work, `${name}-`));
  await run(spin, ["-a", ...defs.map((d) => `-D${d}`), model], dir);
  // COLLAPSE compresses states losslessly: still exhaustive, unlike BITSTATE or HC.
  await run("gcc", ["-O2", mode === "safety" ? "-DSAFETY" : "-DNP", "-DCOLLAPSE", "-o", "pan", "pan.c"], dir);
  const panArgs = [`-m${MAX_DEPTH_STEPS}`, ...(mode === "cycles" ? ["-l"] : [])];
  const r = await runProcess("./pan", panArgs, { timeoutMs: VERIFY_TIMEOUT_MS, cwd: dir });
  const output = r.stdout + r.stderr;
  assert.ok(!r.timedOut, `pan timed out after ${VERIFY_TIMEOUT_MS} ms`);
  const num = (re: RegExp) => {
    const m = re.exec(output);
    assert.ok(m, `no ${re} in pan's output:\n${output.slice(-4000)}`);
    return Number(m[1]);
  };
  assert.doesNotMatch(output, /max search depth too small/, "the search was cut at -m: not exhaustive");
  return {
    errors: num(/errors: (\d+)/),
    statesStored: num(/^\s*(\d+) states, stored/m),
    transitions: num(/^\s*(\d+) transitions \(= \w+\+matched\)/m),
    depth: num(/depth reached (\d+)/),
    output,
  };
}

function assertVerified(t: { diagnostic(m: string): void }, r: SpinResult, peers: string[]): void {
  assert.equal(r.errors, 0, `spin found an error:\n${r.output.slice(0, 4000)}`);
  assert.doesNotMatch(r.output, /Search not completed/);
  // Every statement of each peer ran somewhere in the search: no ROW, window check or property is dead code.
  for (const p of peers)
    assert.match(
      r.output,
      new RegExp(`unreached in proctype ${p}\\n\\t\\(0 of \\d+ states\\)`),
      `${p}: unreached code`,
    );
  t.diagnostic(`states stored ${r.statesStored}, transitions ${r.transitions}, depth ${r.depth}`);
}

// --- pqrpc/1

test("pqrpc1.pml: states and events are STREAM_STATES and STREAM_INPUTS, in order", () => {
  const text = readFileSync(PQRPC1, "utf8");
  assert.deepEqual(defines(text, "S_").map(kebab), [...STREAM_STATES]);
  assert.deepEqual(defines(text, "E_").map(kebab), [...STREAM_INPUTS]);
});

test("pqrpc1.pml: its stream table is STREAM_TRANSITIONS, every entry", () => {
  assert.deepEqual(modelStreamTable(readFileSync(PQRPC1, "utf8")), codeStreamTable());
});

test("pqrpc1.pml: a changed table entry is caught by the comparison", () => {
  const text = readFileSync(PQRPC1, "utf8");
  const drifted = text.replace(
    "T(S_OPEN, E_RESPONSE_HEADERS, S_RESPONDING);",
    "T(S_OPEN, E_RESPONSE_HEADERS, S_REQUEST_ENDED_RESPONDING);",
  );
  assert.notEqual(drifted, text);
  assert.notDeepEqual(modelStreamTable(drifted), codeStreamTable());
});

test("pqrpc1.pml: spin finds no deadlock, window overflow, stream error, unended stream or GOAWAY loss", async (t) => {
  assertVerified(t, await verify(PQRPC1, "pqrpc1"), ["Client", "Server"]);
});

test("pqrpc1.pml: every execution is finite (no cycle), so every stream ends on every path", async (t) => {
  const r = await verify(PQRPC1, "pqrpc1-cycles", [], "cycles");
  assert.equal(r.errors, 0, `spin found a cycle or an error:\n${r.output.slice(0, 4000)}`);
  assert.match(r.output, /non-progress cycles\s+\+/);
  t.diagnostic(`states stored ${r.statesStored}, transitions ${r.transitions}, depth ${r.depth}`);
});

test("pqrpc1.pml: a client that sends empty WINDOW_UPDATEs forever is caught as a cycle", async () => {
  const r = await verify(PQRPC1, "pqrpc1-idle-updates", ["MUTANT_IDLE_WINDOW_UPDATES"], "cycles");
  assert.ok(r.errors >= 1, r.output.slice(0, 2000));
  assert.match(r.output, /non-progress cycle/);
});

test("pqrpc1.pml: a receiver that returns twice the credit it consumed overflows a window, and spin says so", async () => {
  const r = await verify(PQRPC1, "pqrpc1-double-credit", ["MUTANT_DOUBLE_CREDIT"]);
  assert.ok(r.errors >= 1, r.output.slice(0, 2000));
  assert.match(r.output, /assertion violated \(\(s?c?w.*\+num\)<=2\)/);
});

test("pqrpc1.pml: a client that fails an in-flight call up to GOAWAY's last is caught", async () => {
  const r = await verify(PQRPC1, "pqrpc1-goaway", ["MUTANT_GOAWAY_REFUSES_IN_FLIGHT"]);
  assert.ok(r.errors >= 1, r.output.slice(0, 2000));
  assert.match(r.output, /assertion violated .*goaway&&\(i>=last\)/);
});

// --- TLS 1.3

test("tls13.pml: its states are CLIENT_STATES and SERVER_STATES, in order", () => {
  const text = readFileSync(TLS13, "utf8");
  assert.deepEqual(defines(text, "C_").map(kebab), [...CLIENT_STATES]);
  assert.deepEqual(defines(text, "S_").map(kebab), [...SERVER_STATES]);
});

test("tls13.pml: its ROWs are CLIENT_TRANSITIONS and SERVER_TRANSITIONS", () => {
  const text = readFileSync(TLS13, "utf8");
  assert.deepEqual(modelHandshakeTable(text, "C_"), codeHandshakeTable(CLIENT_TRANSITIONS));
  assert.deepEqual(modelHandshakeTable(text, "S_"), codeHandshakeTable(SERVER_TRANSITIONS));
});

test("tls13.pml: a removed or added ROW is caught by the comparison", () => {
  const text = readFileSync(TLS13, "utf8");
  const line = "ROW(C_WAIT_CERTIFICATE, M_CERTIFICATE, !EMPTY, C_WAIT_CERTIFICATE_VERIFY)";
  assert.ok(text.includes(line));
  const removed = text.replace(line, "");
  assert.notDeepEqual(modelHandshakeTable(removed, "C_"), codeHandshakeTable(CLIENT_TRANSITIONS));
  const added = text.replace(
    line,
    `${line}\n        ROW(S_CONNECTED, M_CLIENT_HELLO, true, S_WAIT_CLIENT_FINISHED)`,
  );
  assert.notDeepEqual(modelHandshakeTable(added, "S_"), codeHandshakeTable(SERVER_TRANSITIONS));
});

test("tls13.pml: spin finds no application data before both Finished and no out-of-order message accepted", async (t) => {
  assertVerified(t, await verify(TLS13, "tls13"), ["Client", "Server"]);
});

test("tls13.pml: a server that takes application data before the client's Finished is caught", async () => {
  const r = await verify(TLS13, "tls13-early-data", ["MUTANT_APPLICATION_DATA_BEFORE_FINISHED"]);
  assert.ok(r.errors >= 1, r.output.slice(0, 2000));
  assert.match(r.output, /assertion violated \(client_verified_finished&&server_verified_finished\)/);
});

test("tls13.pml: a client that takes Finished without the server's certificate is caught by the RFC order monitor", async () => {
  const r = await verify(TLS13, "tls13-skip-certificate", ["MUTANT_FINISHED_AFTER_ENCRYPTED_EXTENSIONS"]);
  assert.ok(r.errors >= 1, r.output.slice(0, 2000));
  assert.match(r.output, /assertion violated .*\(m==20\)/);
});
