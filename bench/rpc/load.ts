/**
 * The load generator every client worker runs, whatever its RPC library:
 * a closed loop of `concurrency` unary calls in flight, and back-to-back
 * server-streaming calls on one connection. Only what completes inside the
 * measured window (after the warm-up) counts; every response's size is
 * checked, so a system that answers wrongly fails instead of looking fast.
 */
import {
  STREAM_MESSAGE_BYTES,
  type StreamCommand,
  type StreamResult,
  UNARY_PAYLOAD_BYTES,
  type UnaryCommand,
  type UnaryResult,
} from "./messages.ts";

/** One client library's calls against grpc.testing.TestService. */
export interface LoadTarget {
  /** One UnaryCall of the bench workload; resolves with the response payload's body length. */
  unary(): Promise<number>;
  /**
   * One StreamingOutputCall of the bench workload: `onMessage` gets each
   * response's payload body length. Aborting `signal` cancels the call (it may then reject).
   */
  stream(signal: AbortSignal, onMessage: (bodyBytes: number) => void): Promise<void>;
  /**
   * The connections axis: a new connection of its own (not shared with this
   * target's or another's; connected and handshaken when it resolves).
   */
  openConnection(): Promise<UnaryConnection>;
  close(): Promise<void>;
}

/** One extra connection of the connections axis: UnaryCalls on it, then close. */
export interface UnaryConnection {
  unary(): Promise<number>;
  close(): Promise<void>;
}

/** A run stops early after this many failed calls (a broken system, not a slow one). */
const MAX_ERRORS = 100;
/**
 * A window that ends with fewer samples than this is extended (a short window
 * on a loaded machine may otherwise see no call complete at all), by at most
 * MAX_WINDOW_EXTENSION_MS; the rates are computed over the window's real length.
 */
const MIN_SAMPLES = 8;
export const MAX_WINDOW_EXTENSION_MS = 30_000;
/** How often a streaming run checks whether its window has closed. */
const STREAM_WINDOW_CHECK_MS = 5;
const MS_PER_SECOND = 1000;
const BYTES_PER_MB = 1_000_000;
const P50 = 0.5;
const P99 = 0.99;

/** This process's CPU time, microseconds. */
export function cpuNowUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * The measured window: it opens after the warm-up (a timer samples CPU time
 * then) and closes when the run says so, at the nominal end or later.
 */
class Window {
  readonly start: number;
  readonly nominalEnd: number;
  readonly hardEnd: number;
  #cpuStart = Number.NaN;
  readonly #timer: NodeJS.Timeout;

  constructor(warmupMs: number, durationMs: number) {
    this.start = performance.now() + warmupMs;
    this.nominalEnd = this.start + durationMs;
    this.hardEnd = this.nominalEnd + MAX_WINDOW_EXTENSION_MS;
    this.#timer = setTimeout(() => (this.#cpuStart = cpuNowUs()), warmupMs);
  }

  /** Whether a loop may start another call at `now`, given the samples so far. */
  open(now: number, samples: number): boolean {
    return now < this.nominalEnd || (samples < MIN_SAMPLES && now < this.hardEnd);
  }

  /** Closes the window: its real length in seconds and the CPU time used inside it. */
  close(): { seconds: number; cpuUs: number } {
    clearTimeout(this.#timer);
    const end = performance.now();
    const cpuUs = Number.isNaN(this.#cpuStart) ? 0 : cpuNowUs() - this.#cpuStart;
    return { seconds: Math.max(0, end - this.start) / MS_PER_SECOND, cpuUs };
  }
}

export function runUnary(target: LoadTarget, cmd: UnaryCommand): Promise<UnaryResult> {
  return runUnaryOver([target], cmd);
}

/**
 * The unary test over several connections: `cmd.concurrency` closed loops,
 * loop i calling on connections[i mod N] (so with concurrency >= N every
 * connection has concurrency/N calls in flight, spread round-robin).
 */
export async function runUnaryOver(
  connections: readonly Pick<UnaryConnection, "unary">[],
  cmd: Omit<UnaryCommand, "cmd">,
): Promise<UnaryResult> {
  if (connections.length === 0) throw new Error("no connections to call on");
  const window = new Window(cmd.warmupMs, cmd.durationMs);
  const latencies: number[] = [];
  let calls = 0;
  const errors = new ErrorCount();
  let stop = false;
  const loop = async (_: unknown, i: number) => {
    const target = connections[i % connections.length]!;
    while (!stop) {
      const t0 = performance.now();
      if (!window.open(t0, latencies.length)) break;
      try {
        const size = await target.unary();
        if (size !== UNARY_PAYLOAD_BYTES) throw new Error(`response payload of ${size} bytes`);
        const t1 = performance.now();
        if (t1 >= window.start) {
          calls++;
          if (t0 >= window.start) latencies.push(t1 - t0);
        }
      } catch (e) {
        if (errors.add(e)) stop = true;
      }
    }
  };
  await Promise.all(Array.from({ length: cmd.concurrency }, loop));
  const { seconds, cpuUs } = window.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    calls,
    seconds,
    callsPerSec: seconds > 0 ? calls / seconds : Number.NaN,
    p50Ms: percentile(sorted, P50),
    p99Ms: percentile(sorted, P99),
    clientCpuUs: cpuUs,
    ...errors.result(),
  };
}

export async function runStream(target: LoadTarget, cmd: StreamCommand): Promise<StreamResult> {
  const window = new Window(cmd.warmupMs, cmd.durationMs);
  let bytes = 0;
  let messages = 0;
  const errors = new ErrorCount();
  let stop = false;
  let current: AbortController | undefined;
  // Checks the window every few ms rather than once: it may be extended while too few messages came.
  const timer = setInterval(() => {
    if (window.open(performance.now(), messages)) return;
    stop = true;
    current?.abort();
  }, STREAM_WINDOW_CHECK_MS);
  const onMessage = (bodyBytes: number) => {
    if (bodyBytes !== STREAM_MESSAGE_BYTES) throw new Error(`stream message of ${bodyBytes} bytes`);
    if (performance.now() >= window.start && !stop) {
      bytes += bodyBytes;
      messages++;
    }
  };
  try {
    while (!stop) {
      const call = new AbortController();
      current = call;
      try {
        await target.stream(call.signal, onMessage);
      } catch (e) {
        if (!call.signal.aborted && errors.add(e)) stop = true;
      }
    }
  } finally {
    clearInterval(timer);
  }
  const { seconds, cpuUs } = window.close();
  return {
    bytes,
    messages,
    seconds,
    mbPerSec: seconds > 0 ? bytes / BYTES_PER_MB / seconds : Number.NaN,
    clientCpuUs: cpuUs,
    ...errors.result(),
  };
}

/** Nearest-rank percentile of sorted samples (NaN when there are none). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1]!;
}

class ErrorCount {
  count = 0;
  first: string | undefined;

  /** Records one failure; true when the run should stop. */
  add(e: unknown): boolean {
    this.count++;
    this.first ??= e instanceof Error ? e.message : String(e);
    return this.count >= MAX_ERRORS;
  }

  result(): { errors: number; firstError?: string } {
    return this.first === undefined ? { errors: 0 } : { errors: this.count, firstError: this.first };
  }
}
