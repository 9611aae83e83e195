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
  close(): Promise<void>;
}

/** A run stops early after this many failed calls (a broken system, not a slow one). */
const MAX_ERRORS = 100;
const MS_PER_SECOND = 1000;
const BYTES_PER_MB = 1_000_000;
const P50 = 0.5;
const P99 = 0.99;

/** This process's CPU time, microseconds. */
export function cpuNowUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Samples this process's CPU time at the window's start and end (timers: precise to a few ms). */
class CpuWindow {
  #start = Number.NaN;
  #end = Number.NaN;
  readonly #timers: NodeJS.Timeout[];

  constructor(startInMs: number, endInMs: number) {
    this.#timers = [
      setTimeout(() => (this.#start = cpuNowUs()), startInMs),
      setTimeout(() => (this.#end = cpuNowUs()), endInMs),
    ];
  }

  /** CPU time used inside the window (up to now if the end timer has not fired). */
  finish(): number {
    for (const t of this.#timers) clearTimeout(t);
    if (Number.isNaN(this.#end)) this.#end = cpuNowUs();
    return this.#end - this.#start;
  }
}

export async function runUnary(target: LoadTarget, cmd: UnaryCommand): Promise<UnaryResult> {
  const windowStart = performance.now() + cmd.warmupMs;
  const windowEnd = windowStart + cmd.durationMs;
  const cpu = new CpuWindow(cmd.warmupMs, cmd.warmupMs + cmd.durationMs);
  const latencies: number[] = [];
  let calls = 0;
  const errors = new ErrorCount();
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const t0 = performance.now();
      if (t0 >= windowEnd) break;
      try {
        const size = await target.unary();
        if (size !== UNARY_PAYLOAD_BYTES) throw new Error(`response payload of ${size} bytes`);
        const t1 = performance.now();
        if (t1 >= windowStart && t1 <= windowEnd) {
          calls++;
          if (t0 >= windowStart) latencies.push(t1 - t0);
        }
      } catch (e) {
        if (errors.add(e)) stop = true;
      }
    }
  };
  await Promise.all(Array.from({ length: cmd.concurrency }, loop));
  const clientCpuUs = cpu.finish();
  const sorted = Float64Array.from(latencies).sort();
  const seconds = cmd.durationMs / MS_PER_SECOND;
  return {
    calls,
    seconds,
    callsPerSec: calls / seconds,
    p50Ms: percentile(sorted, P50),
    p99Ms: percentile(sorted, P99),
    clientCpuUs,
    ...errors.result(),
  };
}

export async function runStream(target: LoadTarget, cmd: StreamCommand): Promise<StreamResult> {
  const windowStart = performance.now() + cmd.warmupMs;
  const windowEnd = windowStart + cmd.durationMs;
  const cpu = new CpuWindow(cmd.warmupMs, cmd.warmupMs + cmd.durationMs);
  let bytes = 0;
  let messages = 0;
  const errors = new ErrorCount();
  let stop = false;
  let current: AbortController | undefined;
  const timer = setTimeout(() => {
    stop = true;
    current?.abort();
  }, windowEnd - performance.now());
  const onMessage = (bodyBytes: number) => {
    if (bodyBytes !== STREAM_MESSAGE_BYTES) throw new Error(`stream message of ${bodyBytes} bytes`);
    const t = performance.now();
    if (t >= windowStart && t <= windowEnd) {
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
    clearTimeout(timer);
  }
  const clientCpuUs = cpu.finish();
  const seconds = cmd.durationMs / MS_PER_SECOND;
  return {
    bytes,
    messages,
    seconds,
    mbPerSec: bytes / BYTES_PER_MB / seconds,
    clientCpuUs,
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
