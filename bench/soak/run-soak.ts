/**
 * The soak (issue 9, "What to build" 5): a server process (the hostile
 * harness's, test/hostile/hostile-server.ts) under mixed legitimate calls of
 * all four kinds over both protocols, with reconnects, while a hostile client
 * cycles through reset floods, unfinished large messages, silent connections
 * and garbage bytes. The server's heap, RSS, libuv handles, running calls,
 * sessions and buffered request bytes are sampled (after a GC in the child)
 * and summarized with their least-squares slope per minute, over the whole
 * run and its second half (after warm-up effects).
 */
import { connect as netConnect } from "node:net";
import { connect } from "../../src/client/channel.ts";
import { Greeter } from "../../src/gen/helloworld/greeter_pb.ts";
import { createClient } from "../../src/node/rpc-defaults.ts";
import { encodeEnvelopePrefix } from "../../src/protocol/grpc/envelope.ts";
import { H2_CANCEL } from "../../src/protocol/grpc/http2-errors.ts";
import {
  FLAG,
  FRAME,
  frame,
  grpcRequestHeaders,
  type HostileServer,
  http2Client,
  MIB,
  rawH2,
  startHostileServer,
  u32,
  until,
} from "../../test/hostile/harness.ts";
import { SERVER_NAME } from "../../test/rpc/helpers.ts";
import { leastSquaresSlope } from "./least-squares.ts";

export interface SoakOptions {
  readonly seconds: number;
  /** Between samples, ms. */
  readonly sampleMs: number;
  /** Legitimate clients calling concurrently (default 4). */
  readonly legitClients?: number;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export interface SoakSample {
  /** Seconds since the load started. */
  readonly t: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly handles: number;
  /** Calls whose handler runs (ServerStats.calls): open streams that reached the router. */
  readonly calls: number;
  readonly sessions: number;
  readonly connections: number;
  readonly bufferedRequestBytes: number;
}

type Metric = Exclude<keyof SoakSample, "t">;
const METRICS: readonly Metric[] = [
  "rssBytes",
  "heapUsedBytes",
  "handles",
  "calls",
  "sessions",
  "connections",
  "bufferedRequestBytes",
];

export type CallKind = "unary" | "server-streaming" | "client-streaming" | "bidi";
const KINDS: readonly CallKind[] = ["unary", "server-streaming", "client-streaming", "bidi"];
export type HostileKind = "reset-flood" | "unfinished-messages" | "silent-connections" | "garbage";
const HOSTILE_KINDS: readonly HostileKind[] = [
  "reset-flood",
  "unfinished-messages",
  "silent-connections",
  "garbage",
];

export interface SoakReport {
  readonly seconds: number;
  readonly baseline: SoakSample;
  readonly final: SoakSample;
  readonly samples: readonly SoakSample[];
  /** Least-squares slope of each metric per minute: whole run, and its second half. */
  readonly slopePerMinute: {
    readonly whole: Record<Metric, number>;
    readonly secondHalf: Record<Metric, number>;
  };
  readonly calls: { readonly ok: Record<CallKind, number>; readonly failed: Record<CallKind, number> };
  readonly reconnects: number;
  readonly hostile: Record<HostileKind, number>;
  /** The server's security events by "kind:reason". */
  readonly events: Readonly<Record<string, number>>;
  /** A few failure messages of legitimate calls, for the report. */
  readonly failures: readonly string[];
}

/** Calls on one connection before the client reconnects. */
const CALLS_PER_CONNECTION = 20;
/** Messages per streaming call. */
const STREAM_MESSAGES = 8;
/** The hostile client's source address (the legitimate ones use 127.0.0.1): per-source limits stay apart. */
const HOSTILE_SOURCE = "127.0.0.3";
const FLOOD_STREAMS = 150;
const UNFINISHED_STREAMS = 12;
const UNFINISHED_DECLARED_BYTES = 4 * MIB - 64;
const UNFINISHED_SENT_BYTES = MIB;
const SILENT_CONNECTIONS = 16;
const GARBAGE_BYTES = 4096;
const MAX_FAILURES_KEPT = 10;

const zero = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const server = await startHostileServer({
    firstByteTimeoutMs: 2_000,
    http2: { maxConcurrentStreams: 100, idleTimeoutMs: 10_000, prefaceTimeoutMs: 2_000 },
  });
  try {
    return await soak(server, options, log);
  } finally {
    await server.stop();
  }
}

async function soak(
  server: HostileServer,
  options: SoakOptions,
  log: (line: string) => void,
): Promise<SoakReport> {
  const address = `127.0.0.1:${server.port}`;
  const ok = zero(KINDS);
  const failed = zero(KINDS);
  const hostile = zero(HOSTILE_KINDS);
  const failures: string[] = [];
  let reconnects = 0;
  let stopped = false;

  const sample = async (t: number): Promise<SoakSample> => {
    const s = await server.stats();
    return {
      t,
      rssBytes: await server.rssBytes(),
      heapUsedBytes: s.heapUsedBytes,
      handles: s.handles,
      calls: s.server.calls,
      sessions: s.server.sessions,
      connections: s.server.connections,
      bufferedRequestBytes: s.server.bufferedRequestBytes,
    };
  };

  const legit = async (index: number): Promise<void> => {
    for (let round = 0; !stopped; round++) {
      const protocol = (index + round) % 2 === 0 ? "pqrpc/1" : "h2";
      const channel = await connect(address, {
        trust: server.trust,
        serverName: SERVER_NAME,
        protocol,
        telemetry: false,
      });
      reconnects++;
      const client = createClient(Greeter, channel);
      try {
        for (let k = 0; k < CALLS_PER_CONNECTION && !stopped; k++) {
          const kind = KINDS[k % KINDS.length]!;
          try {
            await call(client, kind);
            ok[kind]++;
          } catch (e) {
            failed[kind]++;
            if (failures.length < MAX_FAILURES_KEPT)
              failures.push(`${protocol} ${kind}: ${(e as Error).message}`);
          }
        }
      } finally {
        await channel.close();
      }
    }
  };

  const attacker = async (): Promise<void> => {
    for (let round = 0; !stopped; round++) {
      const kind = HOSTILE_KINDS[round % HOSTILE_KINDS.length]!;
      try {
        await attack(server, kind);
      } catch {
        // A hostile client's failures are expected (the server closes it); only the server's health counts.
      }
      hostile[kind]++;
    }
  };

  const baseline = await sample(0);
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const workers = [...Array.from({ length: options.legitClients ?? 4 }, (_, i) => legit(i)), attacker()];
  const samples: SoakSample[] = [];
  while (elapsed() < options.seconds) {
    await new Promise((r) => setTimeout(r, options.sampleMs));
    const s = await sample(elapsed());
    samples.push(s);
    log(
      `t=${s.t.toFixed(0)}s rss=${(s.rssBytes / MIB).toFixed(1)}MiB heap=${(s.heapUsedBytes / MIB).toFixed(1)}MiB ` +
        `handles=${s.handles} calls=${s.calls} sessions=${s.sessions} buffered=${s.bufferedRequestBytes}`,
    );
  }
  stopped = true;
  await Promise.all(workers);
  await server.release();
  // Back to idle: what the load left behind is what leaked.
  await until(
    () => server.stats(),
    (x) =>
      x.server.calls === 0 &&
      x.server.sessions === 0 &&
      x.server.connections === 0 &&
      x.runningHandlers === 0,
    "the server back to idle",
  );
  const final = await sample(elapsed());
  const half = samples.filter((s) => s.t >= options.seconds / 2);
  const slopes = (of: readonly SoakSample[]) =>
    Object.fromEntries(
      METRICS.map((m) => [m, leastSquaresSlope(of.map((s) => [s.t / 60, s[m]] as const))]),
    ) as Record<Metric, number>;
  const stats = await server.stats();
  return {
    seconds: options.seconds,
    baseline,
    final,
    samples,
    slopePerMinute: { whole: slopes(samples), secondHalf: slopes(half) },
    calls: { ok, failed },
    reconnects,
    hostile,
    events: stats.events,
    failures,
  };
}

async function* messages(n: number) {
  for (let i = 0; i < n; i++) yield { name: `m${i}` };
}

async function call(client: ReturnType<typeof createClient<typeof Greeter>>, kind: CallKind): Promise<void> {
  switch (kind) {
    case "unary": {
      const r = await client.sayHello({ name: "soak" });
      if (r.message !== "hello soak") throw new Error(`unexpected reply ${r.message}`);
      return;
    }
    case "server-streaming": {
      let n = 0;
      for await (const _ of client.lotsOfReplies({ name: "soak", count: BigInt(STREAM_MESSAGES) })) n++;
      if (n !== STREAM_MESSAGES) throw new Error(`${n} replies, expected ${STREAM_MESSAGES}`);
      return;
    }
    case "client-streaming": {
      const r = await client.lotsOfGreetings(messages(STREAM_MESSAGES));
      if (r.message !== `hello ${STREAM_MESSAGES}`) throw new Error(`unexpected reply ${r.message}`);
      return;
    }
    case "bidi": {
      let n = 0;
      for await (const _ of client.chat(messages(STREAM_MESSAGES))) n++;
      if (n !== STREAM_MESSAGES) throw new Error(`${n} echoes, expected ${STREAM_MESSAGES}`);
      return;
    }
  }
}

/** One round of one kind of hostile traffic; resolves when the server has dealt with it. */
async function attack(server: HostileServer, kind: HostileKind): Promise<void> {
  switch (kind) {
    case "reset-flood": {
      const raw = await rawH2(server, HOSTILE_SOURCE);
      const frames: Uint8Array[] = [];
      for (let i = 0; i < FLOOD_STREAMS; i++) {
        const id = 2 * i + 1;
        frames.push(
          frame(
            FRAME.HEADERS,
            FLAG.END_HEADERS,
            id,
            grpcRequestHeaders("/helloworld.Greeter/LotsOfGreetings", [["x-hold", "1"]]),
          ),
          frame(FRAME.RST_STREAM, 0, id, u32(H2_CANCEL)),
        );
      }
      raw.write(concat(frames));
      await raw.closed;
      await server.release();
      return;
    }
    case "unfinished-messages": {
      const session = await http2Client(server, HOSTILE_SOURCE);
      const prefix = encodeEnvelopePrefix({
        data: new Uint8Array(UNFINISHED_DECLARED_BYTES),
        compressed: false,
      });
      const body = new Uint8Array(UNFINISHED_SENT_BYTES);
      await Promise.all(
        Array.from({ length: UNFINISHED_STREAMS }, () => {
          const stream = session.request({
            ":method": "POST",
            ":path": "/helloworld.Greeter/LotsOfGreetings",
            "content-type": "application/grpc",
            te: "trailers",
          });
          stream.on("error", () => {});
          stream.resume();
          stream.write(prefix);
          return new Promise<void>((resolve) => {
            stream.write(body, () => resolve());
            stream.once("close", () => resolve());
          });
        }),
      );
      session.destroy();
      return;
    }
    case "silent-connections": {
      const closed = Array.from(
        { length: SILENT_CONNECTIONS },
        () =>
          new Promise<void>((resolve) => {
            const s = netConnect({ host: "127.0.0.1", port: server.port, localAddress: HOSTILE_SOURCE });
            s.on("error", () => {});
            s.once("close", () => resolve());
          }),
      );
      // The server's first-byte timeout closes them.
      await Promise.all(closed);
      return;
    }
    case "garbage": {
      await new Promise<void>((resolve) => {
        const s = netConnect({ host: "127.0.0.1", port: server.port, localAddress: HOSTILE_SOURCE });
        s.on("error", () => {});
        s.once("close", () => resolve());
        const bytes = new Uint8Array(GARBAGE_BYTES);
        for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
        s.write(bytes);
        s.resume();
      });
      return;
    }
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A short table of the report. */
export function formatSoak(r: SoakReport): string {
  const mib = (b: number) => (b / MIB).toFixed(1);
  const row = (m: Metric, unit: (v: number) => string, u: string) =>
    `${m.padEnd(22)} ${unit(r.baseline[m]).padStart(10)} ${unit(r.final[m]).padStart(10)} ` +
    `${unit(r.slopePerMinute.whole[m]).padStart(12)} ${unit(r.slopePerMinute.secondHalf[m]).padStart(12)}  ${u}`;
  const id = (v: number) => v.toFixed(1);
  const okCalls = Object.values(r.calls.ok).reduce((a, b) => a + b, 0);
  const failedCalls = Object.values(r.calls.failed).reduce((a, b) => a + b, 0);
  return [
    `soak: ${r.seconds} s, ${okCalls} calls ok, ${failedCalls} failed, ${r.reconnects} connections, hostile rounds ${JSON.stringify(r.hostile)}`,
    `${"metric".padEnd(22)} ${"baseline".padStart(10)} ${"final".padStart(10)} ${"slope/min".padStart(12)} ${"2nd half".padStart(12)}`,
    row("rssBytes", mib, "MiB"),
    row("heapUsedBytes", mib, "MiB"),
    row("handles", id, ""),
    row("calls", id, ""),
    row("sessions", id, ""),
    row("connections", id, ""),
    row("bufferedRequestBytes", mib, "MiB"),
  ].join("\n");
}
